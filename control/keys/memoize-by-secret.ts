// Secrets are parsed and keys imported once per isolate per secret value (not per request);
// a failed load is forgotten so a fixed secret is picked up without a restart.

export function memoizeBySecret<T>(cache: Map<string, Promise<T>>, secret: string, load: () => Promise<T>): Promise<T> {
  let hit = cache.get(secret);
  if (!hit) {
    hit = load();
    hit.catch(() => cache.delete(secret));
    cache.set(secret, hit);
  }
  return hit;
}
