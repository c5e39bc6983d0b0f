// Header hygiene on the sidecar's hot path, on Node's flat `rawHeaders` lists and plain
// header objects (never a Web Headers per request): hop-by-hop headers (RFC 9110 §7.6.1:
// Connection and every header it names, Keep-Alive, Proxy-Connection, TE, Transfer-Encoding,
// Upgrade) never cross the proxy, identity headers the sender may not assert are cut, and the
// route's remove/set/add operations run in that order. A WebSocket handshake's Upgrade is cut
// here too: the next hop's upgrade is made by upstream-upgrade.ts, which writes its own.
import { applyHeaderOps, foldsIntoProxySet, HOP_BY_HOP as CORE_HOP_BY_HOP, foldHeaderName, headerTokens, isIdentityHeaderName, keepsTrailers } from '../../core/http/header-ops.ts';
import { EDGE_TOKEN_HEADER } from '../../core/identity/edge-token.ts';
import type { CompiledHeaderOps } from '../../core/policy/shared/header-ops.ts';
import { HeaderList, removeHeader } from './header-list.ts';

/**
 * Core's hop-by-hop headers, `Host` (the caller sets the one to send), and `Expect`: the
 * sidecar answers a client's `100-continue` itself before it streams the body on (mesh-pieces.ts),
 * so the expectation is met on this hop (and undici refuses to send the header).
 */
const HOP_BY_HOP: ReadonlySet<string> = new Set([...CORE_HOP_BY_HOP, 'host', 'expect']);

/**
 * The mesh headers that cross a sidecar as sent, in exactly this spelling: the edge token (the
 * app propagates it outbound; the inbound verifies it and hands it to the app so it can) and
 * `x-weft-shadow` (marks a mirror copy, so the shadow app and its calls know). Every other
 * identity header (isIdentityHeaderName: any case, `_` for `-`) is the sidecar's to assert.
 */
const MESH_PASSED: ReadonlySet<string> = new Set([EDGE_TOKEN_HEADER, 'x-weft-shadow']);

/**
 * The request headers to send upstream, as a flat `[name, value, …]` list: the client's raw
 * headers minus hop-by-hop ones, minus identity headers (`x-weft-*` but MESH_PASSED,
 * `x-forwarded-client-cert`, in any case and with `_` for `-`), minus `drop` (lower-case
 * names the proxy sets itself, e.g. `x-forwarded-for`; their `_` forms are dropped too, since
 * an app server may fold them into the same name). `Host` is left out too; the caller sets
 * the one to send, and HTTP/2 pseudo-headers (`:authority` is taken as the Host). `TE: trailers`
 * survives (gRPC needs it).
 */
export function forwardedRequestHeaders(raw: readonly string[], drop: ReadonlySet<string>): { list: string[]; host: string | undefined } {
  let listed: string[] | undefined;
  let host: string | undefined;
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    const value = raw[i + 1] as string;
    const lower = name.toLowerCase();
    if (lower.charCodeAt(0) === 58 /* ':' */) {
      // HTTP/2 pseudo-headers: the request line, not headers; `:authority` is the Host.
      if (lower === ':authority') host ??= value;
      continue;
    }
    if (HOP_BY_HOP.has(lower)) {
      if (lower === 'connection') (listed ??= []).push(...headerTokens(value));
      else if (lower === 'host') host ??= value;
      else if (lower === 'te' && keepsTrailers(value)) out.push('te', 'trailers');
      continue;
    }
    if (drop.has(lower) || (isIdentityHeaderName(lower) && !MESH_PASSED.has(lower))) continue;
    if (lower.includes('_') && (drop.has(foldHeaderName(lower)) || foldsIntoProxySet(lower))) continue;
    out.push(name, value);
  }
  if (listed) for (const name of listed) if (name !== 'host') removeHeader(out, name);
  return { list: out, host };
}

const text = (v: Buffer | string): string => (typeof v === 'string' ? v : v.toString('latin1'));

/**
 * The upstream's response headers for the client, from undici's raw `[name, value, …]` list:
 * names lower-cased (as a parsed header object would have them), values kept byte for byte
 * (latin1 both ways), hop-by-hop ones dropped, then the route's operations (remove, set, add).
 */
export function forwardedResponseHeaderList(raw: readonly (Buffer | string)[], ops: readonly CompiledHeaderOps[]): string[] {
  const out: string[] = [];
  let listed: string[] | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = text(raw[i] as Buffer | string).toLowerCase();
    if (HOP_BY_HOP.has(name) && name !== 'host') {
      if (name === 'connection') (listed ??= []).push(...headerTokens(text(raw[i + 1] as Buffer | string)));
      continue;
    }
    out.push(name, text(raw[i + 1] as Buffer | string));
  }
  if (listed) for (const name of listed) removeHeader(out, name);
  if (ops.length > 0) {
    const list = new HeaderList(out);
    for (const o of ops) applyHeaderOps(list, o);
  }
  return out;
}
