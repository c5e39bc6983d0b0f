// A route rule's redirect (the Location to answer with) and rewrite (the path sent
// upstream). Paths here are already normalized (core/route/normalize-path.ts).
import type { CompiledRule } from '../policy/route/compile.ts';

export type CompiledRedirect = NonNullable<CompiledRule['redirect']>;
export type CompiledRewrite = NonNullable<CompiledRule['rewrite']>;

/**
 * The absolute Location: the request URL with the redirect's scheme, host, port and path,
 * query kept. Without a port the Location takes the new scheme's default port if the
 * scheme is set, else the request's port (Gateway API rules, so `weft dev` on :8787 keeps
 * its port); a default port is never written out.
 */
export function redirectLocation(redirect: CompiledRedirect, requestUrl: string | URL): string {
  const url = new URL(requestUrl);
  url.hash = '';
  if (redirect.scheme !== null) {
    url.protocol = `${redirect.scheme}:`;
    url.port = '';
  }
  if (redirect.host !== null) url.hostname = redirect.host;
  if (redirect.port !== null) url.port = String(redirect.port);
  if (redirect.path !== null) url.pathname = redirect.path;
  return url.href;
}

function trimTrailingSlash(p: string): string {
  return p.endsWith('/') ? p.slice(0, -1) : p;
}

/**
 * The upstream path. `path` replaces the whole path. `pathPrefix` replaces the matched
 * prefix segment by segment: `/api` → `/v2` maps `/api` to `/v2`, `/api/` to `/v2/`,
 * `/api/x` to `/v2/x`; `/api` → `/` maps `/api/x` to `/x` and `/api` to `/`. No `//` is
 * ever introduced. Without a rewrite, or a prefix that does not hold, the path is unchanged.
 */
export function rewritePath(path: string, matchedPrefix: string | null, rewrite: CompiledRewrite): string {
  if (rewrite.path !== null) return rewrite.path;
  if (rewrite.pathPrefix === null || matchedPrefix === null) return path;
  const from = trimTrailingSlash(matchedPrefix);
  if (!path.startsWith(from) || (path.length > from.length && path[from.length] !== '/')) return path;
  // '' or starting with '/'; under a `/` match, the path `/` is all prefix
  const rest = from === '' && path === '/' ? '' : path.slice(from.length);
  const to = trimTrailingSlash(rewrite.pathPrefix.startsWith('/') ? rewrite.pathPrefix : `/${rewrite.pathPrefix}`);
  return to + rest || '/';
}
