// WebSocket handshakes into a sidecar listener. Node hands an upgrade request to the 'upgrade'
// event with the raw socket instead of a ServerResponse; this turns it back into the pair the
// listener's handler takes, with a ServerResponse written on that socket, so a handshake runs
// the same handler and core stages as any request: a refusal is an ordinary HTTP answer
// (and the connection then closes), an upstream's 101 is written on the same response and
// the socket is then spliced (websocket-tunnel.ts). Only WebSocket handshakes are taken this
// way (core's isWebSocketUpgrade, through Node's shouldUpgradeCallback, Node 22.21+); any
// other upgrade (h2c) stays an ordinary request whose Upgrade header is stripped.
import { ServerResponse } from 'node:http';
import type { IncomingMessage, RequestListener } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { isWebSocketUpgrade } from '../../core/http/websocket-upgrade.ts';
import { headerOf } from './header-view.ts';

/** An HTTP/1 server (node:http, node:https, or the HTTP/1 side of an http2 server with allowHTTP1). */
interface UpgradingServer {
  on(event: 'upgrade', listener: (req: IncomingMessage, socket: Duplex, head: Buffer) => void): unknown;
}

/** Requests that came in through an 'upgrade' event (Node's parser saw Connection: upgrade), and the responses written on their sockets. */
const upgrading = new WeakMap<object, ServerResponse>();

/** The protocols `req` asks to switch to, if it came in as an upgrade; else null. */
export function upgradeAsked(req: object): string | null {
  return upgrading.has(req) ? headerOf(req as IncomingMessage, 'upgrade') : null;
}

/** The response written on the socket of an upgrade request (HTTP/1.1 only: never an HTTP/2 stream). */
export function upgradeResponseOf(req: object): ServerResponse | undefined {
  return upgrading.get(req);
}

/** Sends `server`'s WebSocket handshakes to `handler` as (request, response) pairs. */
export function acceptWebSocketUpgrades(server: UpgradingServer, handler: RequestListener): void {
  // Node's @types do not list it yet; an http2 secure server reads it as a property too.
  (server as { shouldUpgradeCallback?: (req: IncomingMessage) => boolean }).shouldUpgradeCallback = (req) => isWebSocketUpgrade(req.method ?? 'GET', headerOf(req, 'upgrade'));
  server.on('upgrade', (req, socket, head) => {
    const res = responseOnSocket(req, socket, head);
    upgrading.set(req, res);
    handler(req, res);
  });
}

/**
 * A ServerResponse on an upgrade request's socket. The bytes the client sent after its
 * handshake (`head`) go back into the socket, so a tunnel reads them first. After the handshake
 * Node's HTTP parser is gone, so an ordinary answer ends the connection.
 */
export function responseOnSocket(req: IncomingMessage, socket: Duplex, head: Buffer): ServerResponse {
  if (head.length > 0) socket.unshift(head);
  // Node removed its own error handler with the parser: a reset must not become an uncaught error.
  socket.on('error', () => socket.destroy());
  const res = new ServerResponse(req);
  res.shouldKeepAlive = false;
  res.assignSocket(socket as Socket);
  res.once('finish', () => socket.end());
  return res;
}
