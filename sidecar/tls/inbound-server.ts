// The inbound port's listener: one TCP port for mutual TLS and (in permissive mode, and for the
// edge gateway, which cannot do mTLS from a Worker) plaintext HTTP. The first byte of each
// connection decides: 0x16 starts a TLS handshake and the connection goes to the mTLS server,
// anything else goes to the plain HTTP server. Both hand requests to the same handler, which
// tells them apart with isMtls(req) and reads the verified peer with peerOf(req.socket). On
// both, only HTTP/1.x requests reach the handler (sidecar/proxy/require-http1.ts).
import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, RequestListener, Server as HttpServer, ServerOptions as HttpServerOptions } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import { createServer as createNetServer } from 'node:net';
import type { Server as NetServer, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { requireHttp1 } from '../proxy/require-http1.ts';
import { createMtlsServer } from './server-tls.ts';
import type { MtlsServerOptions } from './server-tls.ts';

const TLS_HANDSHAKE = 0x16;
/** A connection that sends nothing for this long is closed (slowloris on the sniffer). */
const FIRST_BYTE_TIMEOUT_MS = 10_000;

export interface InboundServer {
  /** Listen on this one. */
  readonly net: NetServer;
  readonly mtls: HttpsServer;
  readonly plain: HttpServer;
  /** Stops accepting; closes idle keep-alive connections of both servers (busy ones finish their request). */
  close(): Promise<void>;
  /** Destroys every connection left. */
  closeAllConnections(): void;
}

/** Whether this request came over mutual TLS (then peerOf(req.socket) is the verified caller). */
export function isMtls(req: IncomingMessage): boolean {
  return (req.socket as Partial<TLSSocket>).encrypted === true;
}

export function createInboundServer(o: MtlsServerOptions & { handler: RequestListener; http: HttpServerOptions }): InboundServer {
  const handler = requireHttp1(o.handler);
  const mtls = createMtlsServer(o, handler, o.http);
  const plain = createHttpServer(o.http, handler);
  const net = createNetServer({ pauseOnConnect: true }, (socket: Socket) => {
    socket.setTimeout(FIRST_BYTE_TIMEOUT_MS, () => socket.destroy());
    socket.once('error', () => socket.destroy());
    socket.once('readable', () => {
      const first = socket.read(1) as Buffer | null;
      if (first === null) {
        socket.destroy();
        return;
      }
      socket.setTimeout(0);
      socket.removeAllListeners('timeout');
      socket.unshift(first);
      (first[0] === TLS_HANDSHAKE ? mtls : plain).emit('connection', socket);
    });
    socket.resume();
  });
  return {
    net,
    mtls,
    plain,
    // Not waiting for net.close()'s callback: a socket the TLS layer took over is no longer
    // counted down by the net server, so the callers drain by their own in-flight count.
    close: async () => {
      if (net.listening) net.close();
      mtls.closeIdleConnections();
      plain.closeIdleConnections();
      await Promise.resolve();
    },
    closeAllConnections: () => {
      mtls.closeAllConnections();
      plain.closeAllConnections();
    },
  };
}
