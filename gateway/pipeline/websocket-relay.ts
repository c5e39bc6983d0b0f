// An open WebSocket through the gateway. The upstream handshake is a Workers `fetch` with
// `Upgrade: websocket` (workerd makes the handshake itself); its `webSocket` is accepted here
// and relayed, message by message, to the client's end of a new WebSocketPair that the 101
// answer carries. Handing the upstream's socket to the client as it came would cost no
// JavaScript per message, but the Worker would then see neither the messages nor the close:
// the route's limits could not hold and the access log could not say how long the socket
// lived. So the gateway relays: after `idleTimeoutMs` with no message either way, or
// `maxLifetimeMs` after the upgrade, it closes both sides with 1001 "going away"; a close from
// either side is passed to the other with its code and reason.
import { GOING_AWAY } from '../../core/http/websocket-upgrade.ts';
import type { TunnelCloseReason, TunnelLimits } from '../../core/http/websocket-upgrade.ts';

export interface RelayClosed {
  /** The close code as the side that closed first gave it (1005: none given; 1006: the connection broke). */
  code: number;
  /** `client`, `upstream`, or the gateway itself (a limit was reached). */
  by: 'client' | 'upstream' | 'gateway';
}

/**
 * A code one side closed with, as the other side can be sent it: a close without a status
 * (1005) is passed on as none, a broken connection (1006) and the other codes no endpoint may
 * send (RFC 6455 §7.4.1) as 1011 "unexpected condition".
 */
function passable(code: number): number | undefined {
  if (code === 1005) return undefined;
  if (code === 1000 || (code >= 1001 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999)) return code;
  return 1011;
}

function closeQuietly(ws: WebSocket, code?: number, reason?: string): void {
  try {
    if (code === undefined) ws.close();
    else ws.close(code, reason);
  } catch {
    // already closed or closing
  }
}

/**
 * Relays `upstream` to the client end of a new pair; the returned socket goes in the 101.
 * `closed` is told once, when the first side closes or a limit is reached.
 */
export function relayWebSocket(upstream: WebSocket, limits: TunnelLimits, closed: (c: RelayClosed) => void): WebSocket {
  const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
  server.accept();
  upstream.accept();
  // Binary messages as ArrayBuffers, which send() takes back as they came (a Blob it would not).
  server.binaryType = 'arraybuffer';
  upstream.binaryType = 'arraybuffer';
  let last = Date.now();
  let done = false;
  let idle: ReturnType<typeof setTimeout> | undefined;
  let lifetime: ReturnType<typeof setTimeout> | undefined;

  const finish = (c: RelayClosed): void => {
    if (done) return;
    done = true;
    if (idle) clearTimeout(idle);
    if (lifetime) clearTimeout(lifetime);
    closed(c);
  };
  const goingAway = (reason: TunnelCloseReason): void => {
    finish({ code: GOING_AWAY, by: 'gateway' });
    closeQuietly(server, GOING_AWAY, reason);
    closeQuietly(upstream, GOING_AWAY, reason);
  };
  // One timer for idleness, re-armed for what is left rather than reset on every message.
  const checkIdle = (): void => {
    const left = last + limits.idleTimeoutMs - Date.now();
    if (left <= 0) goingAway('idle timeout');
    else idle = setTimeout(checkIdle, left);
  };
  if (limits.idleTimeoutMs > 0) idle = setTimeout(checkIdle, limits.idleTimeoutMs);
  if (limits.maxLifetimeMs > 0) lifetime = setTimeout(() => goingAway('maximum lifetime'), limits.maxLifetimeMs);

  for (const [from, to, by] of [
    [server, upstream, 'client'],
    [upstream, server, 'upstream'],
  ] as const) {
    from.addEventListener('message', (e: MessageEvent) => {
      last = Date.now();
      try {
        to.send(e.data as string | ArrayBuffer);
      } catch {
        // the other side is closing; its close event ends the relay
      }
    });
    from.addEventListener('close', (e: CloseEvent) => {
      finish({ code: e.code, by });
      closeQuietly(to, passable(e.code), e.reason);
    });
    from.addEventListener('error', () => {
      finish({ code: 1006, by });
      closeQuietly(to, 1011, `${by} connection failed`);
    });
  }
  return client;
}
