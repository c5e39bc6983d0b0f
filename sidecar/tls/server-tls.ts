// Inbound mutual TLS: a tls (or https) server that serves this workload's X.509-SVID, requires
// a client certificate chaining to a CA of the bundle (TLS 1.3 only), and knows each
// connection's peer SPIFFE ID. The material is read on every new connection: a renewed SVID or
// a new CA bundle is swapped in with setSecureContext, without a restart; connections already
// open keep their handshake, but their peer is checked again against the current bundle and
// its expiry on every request (peerOf), so a CA that left the bundle or an expired client
// certificate stops working on live keep-alive connections too.
import { randomBytes, X509Certificate } from 'node:crypto';
import { createServer as createHttpsServer } from 'node:https';
import type { RequestListener, ServerOptions as HttpServerOptions } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { SecureContextOptions, Server as TlsServer, TLSSocket } from 'node:tls';
import type { WorkloadTls } from '../types.ts';
import { peerSpiffeId } from './peer-identity.ts';

export type TlsRefusal = 'handshake' | 'no_svid' | 'no_client_cert' | 'bad_peer' | 'expired' | 'untrusted';

export interface MtlsServerOptions {
  /** The current material; read on each new connection. */
  material: () => WorkloadTls | undefined;
  /** This mesh's trust domain: peers outside it are refused. */
  trustDomain: () => string | undefined;
  /** A connection refused at or right after the handshake (log and count it here); must not throw. */
  refused?: (kind: TlsRefusal, reason: string, remote: string) => void;
}

interface Peer {
  spiffeId: string;
  expiresAt: number;
  raw: Buffer;
  /** The authorities list (by identity) it was last checked against. */
  checkedAgainst: readonly string[];
}

/**
 * The verified peer, kept on the TLS socket itself: an HTTP/2 request's `req.socket` is a
 * Proxy of the session's socket (another object, so a WeakMap would miss it), and a Proxy
 * reads the socket's own properties through.
 */
const PEER = Symbol('weft.peer');
type WithPeer = { [PEER]?: Peer };
const peerState = (socket: Socket): Peer | undefined => (socket as Socket & WithPeer)[PEER];
/** Connections this module closed itself (already counted: their socket errors are not a second refusal). */
const dropped = new WeakSet<Socket>();

/** Options for `tls.createServer` / `setSecureContext` from the material. */
function serverTlsOptions(t: WorkloadTls, ticketKeys?: Buffer): SecureContextOptions {
  return {
    key: t.privateKeyPem,
    cert: t.certificatePem,
    ca: [...t.authorities],
    minVersion: 'TLSv1.3',
    ...(ticketKeys ? { ticketKeys } : {}),
  };
}

function remoteOf(socket: Socket | undefined): string {
  return socket?.remoteAddress ? `${socket.remoteAddress}:${socket.remotePort ?? 0}` : 'unknown';
}

/** Whether `raw` (a DER certificate) was issued by one of `authorities`. */
function issuedByOneOf(raw: Buffer, authorities: readonly string[]): boolean {
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(raw);
  } catch {
    return false;
  }
  for (const pem of authorities) {
    try {
      const ca = new X509Certificate(pem);
      if (leaf.checkIssued(ca) && leaf.verify(ca.publicKey) && Date.parse(ca.validTo) > Date.now()) return true;
    } catch {
      // not a certificate: vouches for nothing
    }
  }
  return false;
}

/**
 * The verified SPIFFE ID of the client on this TLS connection, as of now: undefined when the
 * connection is not mutual TLS, its certificate has expired since the handshake, or its CA has
 * left the bundle (`authorities`: the current ones).
 */
export function peerOf(socket: Socket, authorities?: readonly string[]): string | undefined {
  const p = peerState(socket);
  if (!p) return undefined;
  if (p.expiresAt <= Date.now()) return undefined;
  if (authorities && authorities !== p.checkedAgainst) {
    if (!issuedByOneOf(p.raw, authorities)) return undefined;
    p.checkedAgainst = authorities;
  }
  return p.spiffeId;
}

/** Why peerOf() is undefined for a TLS connection that had a peer (for the 403 message). */
export function peerProblem(socket: Socket): string | undefined {
  const p = peerState(socket);
  if (!p) return undefined;
  if (p.expiresAt <= Date.now()) return `the client certificate of ${p.spiffeId} expired at ${new Date(p.expiresAt).toISOString()}`;
  return `the client certificate of ${p.spiffeId} is not signed by a CA in the current trust bundle`;
}

/** What an mTLS server must be created with (they are per server, not per secure context). */
// rejectUnauthorized is false on purpose: the certificate is still required and verified (the
// 'secureConnection' check below destroys any connection that is not authorized), but the
// refusal then carries OpenSSL's reason (CERT_HAS_EXPIRED, UNABLE_TO_VERIFY_LEAF_SIGNATURE, no
// certificate) to the log and the counter, before any byte reaches the http layer.
export const MTLS_SERVER_OPTIONS = { requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.3' } as const;

/** An https server that requires mutual TLS with the material `o.material()` names (see enableMtls); `http`: its timeouts. */
export function createMtlsServer(o: MtlsServerOptions, listener?: RequestListener, http: HttpServerOptions = {}): HttpsServer {
  const server = listener ? createHttpsServer({ ...http, ...MTLS_SERVER_OPTIONS }, listener) : createHttpsServer({ ...http, ...MTLS_SERVER_OPTIONS });
  enableMtls(server, o);
  return server;
}

/**
 * Makes `server` (made by tls.createServer or https.createServer, without key/cert) a mutual
 * TLS server whose material follows `o.material()`; create it with MTLS_SERVER_OPTIONS. Connections are accepted by the server's
 * own 'connection' event, or handed over with `server.emit('connection', socket)`.
 */
export function enableMtls(server: TlsServer, o: MtlsServerOptions): void {
  let current: WorkloadTls | undefined;
  let authorities: readonly string[] | undefined;
  let ticketKeys = randomBytes(48);
  const refused = (kind: TlsRefusal, reason: string, remote: string): void => {
    try {
      o.refused?.(kind, reason, remote);
    } catch {
      // never let a logger break the server
    }
  };

  // Before the TLS wrapper takes the socket: make sure it gets the current material.
  server.prependListener('connection', (socket: Socket) => {
    const t = o.material();
    if (!t) {
      refused('no_svid', 'this sidecar has no valid X.509-SVID to serve', remoteOf(socket));
      dropped.add(socket);
      socket.destroy();
      return;
    }
    if (t === current) return;
    // A changed CA set: sessions resumed from tickets of the old keys would skip the new bundle.
    if (authorities !== undefined && t.authorities !== authorities) ticketKeys = randomBytes(48);
    server.setSecureContext(serverTlsOptions(t, ticketKeys));
    current = t;
    authorities = t.authorities;
  });

  server.on('tlsClientError', (err: Error & { code?: string }, socket: TLSSocket) => {
    if (dropped.has(socket)) return;
    refused('handshake', `${err.code ?? 'TLS_ERROR'}: ${err.message}`, remoteOf(socket));
  });

  // Before the http(s) layer sees the connection: know the peer, or drop it.
  server.prependListener('secureConnection', (socket: TLSSocket) => {
    const cert = socket.getPeerCertificate();
    if (!cert || Object.keys(cert).length === 0) {
      refused('no_client_cert', 'the client presented no certificate (mutual TLS requires one)', remoteOf(socket));
      dropped.add(socket);
      socket.destroy();
      return;
    }
    if (!socket.authorized) {
      const code = String(socket.authorizationError);
      refused(/EXPIRED/.test(code) ? 'expired' : 'untrusted', `client certificate refused: ${code}`, remoteOf(socket));
      dropped.add(socket);
      socket.destroy();
      return;
    }
    const checked = peerSpiffeId(cert, o.trustDomain());
    if (!checked.ok) {
      refused('bad_peer', checked.reason, remoteOf(socket));
      dropped.add(socket);
      socket.destroy();
      return;
    }
    (socket as TLSSocket & WithPeer)[PEER] = { spiffeId: checked.spiffeId, expiresAt: Date.parse(cert.valid_to), raw: cert.raw, checkedAgainst: current?.authorities ?? [] };
  });
}
