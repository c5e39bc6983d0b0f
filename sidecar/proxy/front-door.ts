// A sidecar port's front door: one TCP port that speaks HTTP/1.1, cleartext HTTP/2 with prior
// knowledge (h2c) and, on the inbound port, mutual TLS (ALPN `h2` or `http/1.1`). The first
// bytes of each connection decide, before any server sees it: 0x16 starts a TLS handshake
// (inbound only), the 24-byte HTTP/2 connection preface means h2c, anything else is HTTP/1.x.
// Every server hands its requests to the same handler, which tells them apart by
// `req.httpVersionMajor` and isMtls(req). HTTP/1.x servers pass only HTTP/1.x request lines
// (require-http1.ts); the HTTP/2 servers' requests are HTTP/2 by construction.
//
// HTTP/2 sessions are tracked so a graceful close can send GOAWAY (streams in flight finish,
// new ones go elsewhere) and cut what is left after the grace period.
import { createServer as createHttpServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, Server as HttpServer, ServerOptions as HttpServerOptions, ServerResponse } from 'node:http';
import { createServer as createH2cServer, createSecureServer } from 'node:http2';
import type { Http2SecureServer, Http2Server, Http2ServerRequest, Http2ServerResponse, Http2Session } from 'node:http2';
import { createServer as createNetServer } from 'node:net';
import type { Server as NetServer, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { enableMtls, MTLS_SERVER_OPTIONS } from '../tls/server-tls.ts';
import type { MtlsServerOptions } from '../tls/server-tls.ts';
import { requireHttp1 } from './require-http1.ts';

export type DownstreamRequest = IncomingMessage | Http2ServerRequest;
/**
 * What the proxies use of a response, on either protocol: Node's HTTP/1 ServerResponse and the
 * HTTP/2 compatibility response both are one (the union's overloaded methods are not callable).
 */
export interface DownstreamResponse {
  /** The request this response answers (both kinds keep it). */
  readonly req: { readonly method?: string | undefined; readonly headers: IncomingHttpHeaders };
  statusCode: number;
  readonly headersSent: boolean;
  readonly destroyed: boolean;
  readonly writableNeedDrain: boolean;
  writeHead(status: number, headers: OutgoingHttpHeaders | string[]): unknown;
  setHeader(name: string, value: number | string | string[]): unknown;
  getHeader(name: string): number | string | string[] | undefined;
  write(chunk: Uint8Array | string): boolean;
  end(): unknown;
  writeContinue(): void;
  end(chunk: Uint8Array | string): unknown;
  addTrailers(trailers: OutgoingHttpHeaders): void;
  destroy(error?: Error): unknown;
  on(event: 'close' | 'drain' | 'finish', listener: () => void): unknown;
  off(event: 'close' | 'drain' | 'finish', listener: () => void): unknown;
}
export type DownstreamHandler = (req: DownstreamRequest, res: DownstreamResponse) => void;

const TLS_HANDSHAKE = 0x16;
/** RFC 9113 §3.4: what a client with prior knowledge sends first. */
const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
/** A connection that sends nothing (or not enough to tell) for this long is closed (slowloris on the sniffer). */
const FIRST_BYTES_TIMEOUT_MS = 10_000;

export type ConnectionKind = 'tls' | 'h2c' | 'http1';

/** What the first bytes say, or undefined while they could still be the HTTP/2 preface. */
export function classifyFirstBytes(seen: Buffer, tls: boolean): ConnectionKind | undefined {
  if (seen.length === 0) return undefined;
  if (tls && seen[0] === TLS_HANDSHAKE) return 'tls';
  const n = Math.min(seen.length, H2_PREFACE.length);
  if (seen.subarray(0, n).compare(H2_PREFACE, 0, n) !== 0) return 'http1';
  return n === H2_PREFACE.length ? 'h2c' : undefined;
}

export interface FrontDoor {
  /** Listen on this one. */
  readonly net: NetServer;
  /** Every server that emits HTTP/1.x requests (and 'upgrade'): plain, and the TLS one (its HTTP/1.1 side). */
  readonly http1: readonly (HttpServer | Http2SecureServer)[];
  /** Stops accepting; closes idle HTTP/1 keep-alive connections; asks HTTP/2 clients to go away (GOAWAY: streams in flight finish). */
  close(): Promise<void>;
  /** Destroys every connection left. */
  closeAllConnections(): void;
}

/** The authority the client named: `:authority` on HTTP/2 (RFC 9113 §8.3.1), else `Host`. */
export function authorityOf(req: DownstreamRequest): string {
  const h = req.headers;
  return (h[':authority'] as string | undefined) ?? h.host ?? '';
}

/** Whether this request came over mutual TLS (then peerOf(req.socket) is the verified caller). */
export function isMtls(req: DownstreamRequest): boolean {
  return (req.socket as Partial<TLSSocket>).encrypted === true;
}

export function createFrontDoor(o: { handler: DownstreamHandler; http: HttpServerOptions; mtls?: MtlsServerOptions }): FrontDoor {
  const http1Handler = requireHttp1(o.handler);
  const plain = createHttpServer(o.http, http1Handler);
  // `Expect: 100-continue` is answered by the proxies once their stages let the request
  // through (mesh-pieces.ts), not by Node before any check: a refused upload is never sent.
  plain.on('checkContinue', http1Handler);
  const h2c: Http2Server = createH2cServer({}, o.handler);
  const sessions = new Set<Http2Session>();
  const track = (session: Http2Session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  };
  h2c.on('session', track);
  h2c.on('checkContinue', o.handler);
  let secure: Http2SecureServer | undefined;
  const tlsSockets = new Set<Socket>();
  if (o.mtls) {
    // One TLS server for both protocols: ALPN `h2` gets an HTTP/2 session, `http/1.1` (or no
    // ALPN) Node's HTTP/1 server path, with the same request handler.
    const secureHandler = (req: Http2ServerRequest, res: Http2ServerResponse): void => {
      if (req.httpVersionMajor === 2) o.handler(req, res);
      else http1Handler(req as unknown as IncomingMessage, res as unknown as ServerResponse);
    };
    secure = createSecureServer({ ...MTLS_SERVER_OPTIONS, allowHTTP1: true }, secureHandler);
    // The HTTP/1 side of an allowHTTP1 server reads these off the server object.
    Object.assign(secure, { keepAliveTimeout: o.http.keepAliveTimeout, headersTimeout: o.http.headersTimeout, requestTimeout: o.http.requestTimeout });
    secure.on('session', track);
    secure.on('checkContinue', secureHandler);
    enableMtls(secure, o.mtls);
    secure.on('secureConnection', (socket: TLSSocket) => {
      tlsSockets.add(socket);
      socket.once('close', () => tlsSockets.delete(socket));
    });
  }
  const servers = { tls: secure, h2c, http1: plain };
  for (const s of [plain, secure]) s?.on('clientError', (_e: Error, socket: Socket) => socket.destroy());
  h2c.on('sessionError', () => undefined);
  secure?.on('sessionError', () => undefined);

  const net = createNetServer({ pauseOnConnect: true }, (socket: Socket) => {
    let seen: Buffer = Buffer.alloc(0);
    socket.setTimeout(FIRST_BYTES_TIMEOUT_MS, () => socket.destroy());
    socket.once('error', () => socket.destroy());
    const onReadable = () => {
      for (let chunk = socket.read() as Buffer | null; chunk !== null; chunk = socket.read() as Buffer | null) seen = seen.length === 0 ? chunk : Buffer.concat([seen, chunk]);
      const kind = classifyFirstBytes(seen, secure !== undefined);
      if (kind === undefined) return;
      socket.off('readable', onReadable);
      socket.off('end', onEnd);
      socket.setTimeout(0);
      socket.removeAllListeners('timeout');
      socket.unshift(seen);
      (servers[kind] as NetServer).emit('connection', socket);
    };
    const onEnd = () => socket.destroy();
    socket.on('readable', onReadable);
    socket.once('end', onEnd);
    socket.resume();
  });

  return {
    net,
    http1: secure ? [plain, secure] : [plain],
    // Not waiting for net.close()'s callback: a socket handed to another server is no longer
    // counted down by the net server, so the callers drain by their own in-flight count.
    close: async () => {
      if (net.listening) net.close();
      plain.closeIdleConnections();
      for (const s of sessions) if (!s.closed) s.close();
      await Promise.resolve();
    },
    closeAllConnections: () => {
      plain.closeAllConnections();
      for (const s of sessions) s.destroy();
      // An allowHTTP1 server has no closeAllConnections: its TLS sockets, both protocols.
      for (const s of tlsSockets) s.destroy();
    },
  };
}
