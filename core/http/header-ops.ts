// Header hygiene and the route's header operations on a Web Headers object: hop-by-hop
// headers never cross the proxy (RFC 9110 §7.6.1), identity headers never come from a
// client, and policy's remove/set/add run in that order.
import type { CompiledHeaderOps } from '../policy/shared/header-ops.ts';

/** RFC 9110 §7.6.1: meaningful for one connection only, never forwarded. */
export const HOP_BY_HOP: ReadonlySet<string> = new Set(['connection', 'proxy-connection', 'keep-alive', 'te', 'transfer-encoding', 'upgrade']);

/** Removes `ops.remove`, then sets `ops.set` (replacing), then appends `ops.add`. */
export function applyHeaderOps(headers: Headers, ops: CompiledHeaderOps): void {
  for (const name of ops.remove) headers.delete(name);
  for (const [name, value] of Object.entries(ops.set)) headers.set(name, value);
  for (const [name, value] of Object.entries(ops.add)) headers.append(name, value);
}

function tokens(value: string | null): string[] {
  return (value ?? '')
    .split(',')
    .map((t) => t.trim().toLowerCase())
    .filter((t) => t !== '');
}

/**
 * Removes the hop-by-hop headers and every header the Connection header names. `TE:
 * trailers` survives as `te: trailers`: HTTP/2 allows exactly that value, and gRPC needs it.
 */
export function stripHopByHop(headers: Headers): void {
  const keepTrailers = tokens(headers.get('te')).some((t) => t === 'trailers' || t.startsWith('trailers;'));
  for (const name of tokens(headers.get('connection'))) headers.delete(name);
  for (const name of HOP_BY_HOP) headers.delete(name);
  if (keepTrailers) headers.set('te', 'trailers');
}

/** Identity is the proxy's to assert: a client's `x-weft-*` or XFCC header is dropped. */
export function isClientIdentityHeader(name: string): boolean {
  const n = name.toLowerCase();
  return n.startsWith('x-weft-') || n === 'x-forwarded-client-cert';
}

export function stripClientIdentityHeaders(headers: Headers): void {
  // Collect first: deleting while iterating a Headers object skips entries.
  for (const name of [...headers.keys()].filter(isClientIdentityHeader)) headers.delete(name);
}
