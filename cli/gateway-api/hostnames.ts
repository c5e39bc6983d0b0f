// Hostname intersection between a route and the listeners it attaches to, as the Gateway API
// defines it (HTTPRoute.spec.hostnames): `*.example.com` is a suffix match over one or more
// labels; a route hostname that matches no listener hostname is ignored; no hostnames on
// either side means "any". Weft's edge hosts have the same wildcard meaning.

/** `*.example.com` → `example.com`; undefined for an exact hostname. */
function wildcardSuffix(host: string): string | undefined {
  return host.startsWith('*.') ? host.slice(2) : undefined;
}

/** Does `host` (exact or wildcard) lie inside the wildcard `*.suffix`? */
function within(host: string, suffix: string): boolean {
  const own = wildcardSuffix(host);
  const name = own ?? host;
  return name.endsWith(`.${suffix}`) || (own !== undefined && own === suffix);
}

/**
 * The hostnames a request may carry to reach a route through one listener: the more specific
 * of each intersecting pair. Undefined on a side means that side accepts any host; the result
 * is `['*']` when neither side restricts, and [] when they do not intersect.
 */
export function intersectHostnames(routeHosts: readonly string[], listenerHost: string | undefined): string[] {
  const route = routeHosts.map((h) => h.toLowerCase());
  const listener = listenerHost?.toLowerCase();
  if (!listener) return route.length > 0 ? route : ['*'];
  if (route.length === 0) return [listener];
  const out: string[] = [];
  const listenerSuffix = wildcardSuffix(listener);
  for (const host of route) {
    if (host === listener) out.push(host);
    else if (listenerSuffix !== undefined && within(host, listenerSuffix)) out.push(host);
    else {
      const routeSuffix = wildcardSuffix(host);
      if (routeSuffix !== undefined && within(listener, routeSuffix)) out.push(listener);
    }
  }
  return out;
}

/** Unique hosts, in first-seen order; `*` alone when any host is allowed. */
export function mergeHosts(hosts: readonly string[]): string[] {
  if (hosts.includes('*')) return ['*'];
  return [...new Set(hosts)];
}
