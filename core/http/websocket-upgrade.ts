// Which requests open a WebSocket, and the limits an open one lives under. `Upgrade` is
// hop-by-hop (RFC 9110 §7.8): a proxy never forwards a client's Upgrade header as it is, it
// makes the upgrade itself on its own hop. Weft does that for WebSocket handshakes only
// (RFC 6455 §4.1: a GET asking to switch to `websocket`); any other upgrade (`h2c`, TLS/1.0)
// is stripped and the request goes on as an ordinary HTTP/1.1 request, so a client can never
// switch a Weft hop to a protocol no stage has decided on. Whether the request asks to switch
// at all (`Connection: upgrade` with `Upgrade`) is the runtime's HTTP server's to say: Node's
// parser hands such a request to its 'upgrade' event, workerd shows a Worker the Upgrade
// header of a handshake but keeps Connection to itself.
import { headerTokens } from './header-ops.ts';

/**
 * Whether a request is a WebSocket opening handshake: a GET whose `upgrade` (the Upgrade
 * header of a request the runtime took as an upgrade, else null) names `websocket`.
 */
export function isWebSocketUpgrade(method: string, upgrade: string | null | undefined): boolean {
  // `Upgrade: websocket` or a list naming it (`websocket, foo/1`).
  return method.toUpperCase() === 'GET' && headerTokens(upgrade).includes('websocket');
}

/** An open WebSocket's limits (a Route rule's `websocket`); 0 = no limit. */
export interface TunnelLimits {
  /** Closed after this long with no byte in either direction. */
  idleTimeoutMs: number;
  /** Closed this long after the upgrade, however busy. */
  maxLifetimeMs: number;
}

/**
 * Defaults of a rule that sets none. Idle: one hour, Envoy's default idle timeout for HTTP
 * connections and streams, long enough for a quiet browser tab (browsers send no pings of
 * their own) yet bounded, so a peer that vanished without a FIN does not hold a socket
 * forever. Lifetime: none, as in Envoy: a long-lived socket is the point of a WebSocket, and
 * cutting healthy ones makes every client reconnect at once. Set one where a socket must not
 * outlive what was checked at its handshake (docs/security.md).
 */
export const DEFAULT_TUNNEL_LIMITS: Readonly<TunnelLimits> = { idleTimeoutMs: 3_600_000, maxLifetimeMs: 0 };

/** WebSocket close code a proxy sends when it ends a socket itself (RFC 6455 §7.4.1: "going away"). */
export const GOING_AWAY = 1001;

/** Why a proxy closed an open socket: sent as the close reason (at most 123 bytes). */
export type TunnelCloseReason = 'idle timeout' | 'maximum lifetime' | 'proxy shutting down';
