// Reading a Node request's headers and query the way core's matchers and evaluators do
// (`{ get(name) }`), without building a Web Headers or URLSearchParams per request.
import type { DownstreamRequest } from './front-door.ts';

/** A header of a Node request as one string (repeated headers joined), or null. */
export function headerOf(req: DownstreamRequest, name: string): string | null {
  // HTTP/2 carries the authority as `:authority`; matchers and policies read it as Host.
  const v = req.headers[name] ?? (name === 'host' ? req.headers[':authority'] : undefined);
  if (v === undefined) return null;
  return Array.isArray(v) ? v.join(', ') : v;
}

/** `{ get }` over a Node request's headers, as core's matchers and evaluators read them. */
export function headerView(req: DownstreamRequest): { get(name: string): string | null } {
  return { get: (name) => headerOf(req, name.toLowerCase()) };
}

/** `{ get }` over a query string, parsed on first use. */
export function lazyQuery(query: string): { get(name: string): string | null } {
  let params: URLSearchParams | undefined;
  return { get: (name) => (params ??= new URLSearchParams(query)).get(name) };
}
