// A route rule's redirect (the Location to answer with) and rewrite (the path sent
// upstream), as the Gateway API's HTTPRequestRedirectFilter and HTTPURLRewriteFilter define
// them. Paths here are already normalized (core/route/normalize-path.ts).
import type { CompiledRule } from '../policy/route/compile.ts';
import { wellKnownPort } from './listener-port.ts';

export type CompiledRedirect = NonNullable<CompiledRule['redirect']>;
export type CompiledRewrite = NonNullable<CompiledRule['rewrite']>;

function trimTrailingSlash(p: string): string {
  return p.endsWith('/') ? p.slice(0, -1) : p;
}

/**
 * `path` with the prefix it matched (`matchedPrefix`, segment-wise) replaced by
 * `replacement`, as the Gateway API's ReplacePrefixMatch table says: a trailing `/` of
 * either is ignored, what follows the prefix is kept (`/foo/bar` under `/foo` → `/xyz` is
 * `/xyz/bar`, `/foo/` is `/xyz/`), a replacement of `/` strips the prefix (`/foo/bar` →
 * `/bar`, `/foo` → `/`), and no `//` is ever introduced. Null when the prefix does not hold.
 */
export function replacePathPrefix(path: string, matchedPrefix: string, replacement: string): string | null {
  const from = trimTrailingSlash(matchedPrefix);
  if (!path.startsWith(from) || (path.length > from.length && path[from.length] !== '/')) return null;
  // '' or starting with '/'; under a `/` match, the path `/` is all prefix
  const rest = from === '' && path === '/' ? '' : path.slice(from.length);
  const to = trimTrailingSlash(replacement.startsWith('/') ? replacement : `/${replacement}`);
  return to + rest || '/';
}

/** The request a redirect is built from, as this hop received it. */
export interface RedirectSource {
  /** `http` or `https`. */
  scheme: string;
  /** The host name the client named (its Host without the port). */
  hostname: string;
  /** The port of the listener that took the request; null when the client named a port no URL can hold. */
  listenerPort: number | null;
  /** The normalized path. */
  path: string;
  /** The query without `?` ('' when none). */
  query: string;
  /** The prefix the rule matched on, for `pathPrefix`. */
  matchedPrefix: string | null;
}

/**
 * The absolute Location (Gateway API HTTPRequestRedirectFilter): each part the redirect
 * sets replaces the request's, the query is kept. The port is the redirect's; without one,
 * the well-known port of the redirect's scheme if it sets a scheme, else the port of the
 * listener that took the request (never the client's Host port). A scheme's well-known
 * port is never written out. Null when there is no URL to build (a host no URL can hold,
 * or a listener port the client's authority left unknown).
 */
export function redirectLocation(redirect: CompiledRedirect, source: RedirectSource): string | null {
  const scheme = redirect.scheme ?? source.scheme;
  const port = redirect.port ?? (redirect.scheme !== null ? wellKnownPort(redirect.scheme) : source.listenerPort);
  if (port === null || port === undefined) return null;
  let path = source.path;
  if (redirect.path !== null) path = redirect.path;
  else if (redirect.pathPrefix !== null && source.matchedPrefix !== null) path = replacePathPrefix(source.path, source.matchedPrefix, redirect.pathPrefix) ?? source.path;
  const authority = port === wellKnownPort(scheme) ? (redirect.host ?? source.hostname) : `${redirect.host ?? source.hostname}:${port}`;
  try {
    return new URL(`${scheme}://${authority}${path}${source.query ? `?${source.query}` : ''}`).href;
  } catch {
    return null;
  }
}

/**
 * The upstream path. `path` replaces the whole path; `pathPrefix` replaces the matched
 * prefix (replacePathPrefix). Without a rewrite, or a prefix that does not hold, the path
 * is unchanged.
 */
export function rewritePath(path: string, matchedPrefix: string | null, rewrite: CompiledRewrite): string {
  if (rewrite.path !== null) return rewrite.path;
  if (rewrite.pathPrefix === null || matchedPrefix === null) return path;
  return replacePathPrefix(path, matchedPrefix, rewrite.pathPrefix) ?? path;
}
