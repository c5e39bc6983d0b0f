// The small bounded caches of the request path (remembered API keys and tokens, hash rings,
// signed tokens) share one rule: a Map in insertion order, where a key set again becomes the
// newest and, past the bound, the oldest entries go first.

/** Sets `key` to `value` as the newest entry of `map`, then drops the oldest entries past `max`. */
export function setBounded<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > max) map.delete(map.keys().next().value as K);
}
