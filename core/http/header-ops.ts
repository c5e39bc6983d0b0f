// Header hygiene and the route's header operations on a Web Headers object: hop-by-hop
// headers never cross the proxy (RFC 9110 §7.6.1), identity headers never come from a
// client, and policy's remove/set/add run in that order.
//
// Identity headers are recognised as an app server may read them, not only as sent: many
// servers fold `_` into `-` and ignore case (CGI/WSGI/Rack environments turn both
// `X-Weft-Principal` and `X_Weft_Principal` into HTTP_X_WEFT_PRINCIPAL), so a client's
// `x_weft_principal` would otherwise pass the proxy and become the identity the app reads.
import type { CompiledHeaderOps } from '../policy/shared/header-ops.ts';

/**
 * RFC 9110 §7.6.1: meaningful for one connection only, never forwarded. A WebSocket upgrade
 * is not forwarded either: each hop makes it anew on its own connection (Upgrade: websocket
 * and Connection: upgrade written by the adapter's tryUpgrade), after core has decided that
 * the request is one (core/http/websocket-upgrade.ts); any other Upgrade (h2c) just goes.
 */
export const HOP_BY_HOP: ReadonlySet<string> = new Set(['connection', 'proxy-connection', 'keep-alive', 'te', 'transfer-encoding', 'upgrade']);

/** True when the operations change nothing (no remove, set or add). */
export function noHeaderOps(ops: CompiledHeaderOps): boolean {
  if (ops.remove.length > 0) return false;
  for (const _ in ops.set) return false;
  for (const _ in ops.add) return false;
  return true;
}

/** Removes `ops.remove`, then sets `ops.set` (replacing), then appends `ops.add`. */
export function applyHeaderOps(headers: { set(name: string, value: string): void; append(name: string, value: string): void; delete(name: string): void }, ops: CompiledHeaderOps): void {
  for (const name of ops.remove) headers.delete(name);
  for (const [name, value] of Object.entries(ops.set)) headers.set(name, value);
  for (const [name, value] of Object.entries(ops.add)) headers.append(name, value);
}

/** The comma-separated tokens of a header value, trimmed and lower-cased; empty ones dropped. */
export function headerTokens(value: string | null | undefined): string[] {
  const out: string[] = [];
  if (!value) return out;
  for (const part of value.split(',')) {
    const t = part.trim();
    if (t !== '') out.push(t.toLowerCase());
  }
  return out;
}

/** Whether a `TE` value asks for trailers, the one TE a proxy passes on (HTTP/2 allows only it; gRPC needs it). */
export function keepsTrailers(te: string | null | undefined): boolean {
  return headerTokens(te).some((t) => t === 'trailers' || t.startsWith('trailers;'));
}

/**
 * The names stripUntrusted acts on (hop-by-hop and client identity headers), or undefined
 * when there are none: one pass over the names, nothing allocated in the common case. Names
 * from a Headers iterator are lower-case.
 *
 * `serverWrites`: connection-level headers the HTTP server in front drops from a response and
 * writes itself (workerd does so for Connection, Keep-Alive, TE, Trailer, Transfer-Encoding
 * and Upgrade). Those are left to it; a header that Connection names is still acted on
 * (`connection` is then listed) unless the server drops that one too.
 */
export function untrustedNames(headers: Headers, serverWrites?: ReadonlySet<string>): string[] | undefined {
  let present: string[] | undefined;
  let connection = false;
  for (const name of headers.keys()) {
    if (serverWrites?.has(name)) connection ||= name === 'connection';
    else if (HOP_BY_HOP.has(name) || isIdentityHeaderName(name) || foldsIntoProxySet(name)) (present ??= []).push(name);
  }
  if (connection)
    for (const named of headerTokens(headers.get('connection')))
      if (!serverWrites?.has(named) && headers.has(named)) {
        (present ??= []).push('connection');
        break;
      }
  return present;
}

/**
 * Removes the hop-by-hop headers, every header the Connection header names, and client
 * identity claims (`x-weft-*`, `x-forwarded-client-cert`, any case, `_` for `-`: identity is
 * the proxy's to assert; see isIdentityHeaderName).
 * `TE: trailers` survives as `te: trailers`: HTTP/2 allows exactly that value, and gRPC needs
 * it. A proxy runs this on every request and response, so `present` (what untrustedNames
 * found in these headers, or in the headers these were copied from) is all it looks at.
 */
export function stripUntrusted(headers: Headers, present: readonly string[] | undefined = untrustedNames(headers)): void {
  if (!present) return;
  const keepTrailers = present.includes('te') && keepsTrailers(headers.get('te'));
  if (present.includes('connection')) for (const name of headerTokens(headers.get('connection'))) headers.delete(name);
  for (const name of present) headers.delete(name);
  if (keepTrailers) headers.set('te', 'trailers');
}

/** Request headers every proxy hop sets itself from what it saw. */
const PROXY_SET: ReadonlySet<string> = new Set(['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'traceparent']);

/** A client header an app server would read as one the proxy sets (`x_forwarded_for`): the proxy's own must be the only one. */
export function foldsIntoProxySet(lowerCaseName: string): boolean {
  return lowerCaseName.includes('_') && PROXY_SET.has(lowerCaseName.replaceAll('_', '-'));
}

/**
 * Removes every header an app server may read as one of `names` (lower-case): the names
 * themselves and their spellings with `_` for `-`. For headers a proxy sets from what it
 * verified (forwarded claims), so a client's `x_user_id` cannot stand beside them.
 */
export function deleteFolded(headers: { keys(): Iterable<string>; delete(name: string): void }, names: readonly string[]): void {
  if (names.length === 0) return;
  for (const name of names) headers.delete(name);
  let alike: string[] | undefined;
  for (const key of headers.keys()) if (key.includes('_') && names.includes(foldHeaderName(key))) (alike ??= []).push(key);
  if (alike) for (const key of alike) headers.delete(key);
}

const IDENTITY_PREFIX = 'x-weft-';
const CLIENT_CERT = 'x-forwarded-client-cert';

/** A header name as a server that folds names reads it: lower-case, with `_` read as `-`. */
export function foldHeaderName(name: string): string {
  const lower = name.toLowerCase();
  return lower.includes('_') ? lower.replaceAll('_', '-') : lower;
}

/**
 * Whether a header name claims a mesh identity as an app server may read it: `x-weft-*` or
 * `x-forwarded-client-cert`, in any case, with `_` for any `-`. Only the proxy asserts these;
 * one a client sent is removed. Allocates nothing (it runs on every header of every request).
 */
export function isIdentityHeaderName(name: string): boolean {
  return foldedStartsWith(name, IDENTITY_PREFIX) || (name.length === CLIENT_CERT.length && foldedStartsWith(name, CLIENT_CERT));
}

/** Whether foldHeaderName(name) starts with `folded` (lower-case, no `_`). */
function foldedStartsWith(name: string, folded: string): boolean {
  if (name.length < folded.length) return false;
  for (let i = 0; i < folded.length; i++) {
    let c = name.charCodeAt(i);
    if (c === 0x5f) c = 0x2d; // `_` → `-`
    else if (c >= 0x41 && c <= 0x5a) c += 0x20; // A-Z → a-z
    if (c !== folded.charCodeAt(i)) return false;
  }
  return true;
}
