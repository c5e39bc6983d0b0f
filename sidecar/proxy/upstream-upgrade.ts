// One WebSocket handshake to one upstream: another sidecar's inbound (over mutual TLS with the
// same connect options and server identity check as the pools, sidecar/tls/client-tls.ts), a
// static endpoint, or the app beside an inbound. Each handshake gets an undici Client of its
// own, HTTP/1.1 only: an upgraded connection leaves its pool for good, and a pooled connection
// may speak HTTP/2, which has no Upgrade. A `101` is committed like any status: the head is
// written to the client and the two sockets are handed to the tunnel; any other answer streams
// to the client (or is dropped for a retry) exactly as forward.ts does for a request.
import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { Client } from 'undici';
import type { Dispatcher } from 'undici';
import type { CompiledService } from '../../core/policy/service/compile.ts';
import { endpointScheme } from '../../core/policy/service/protocol.ts';
import { originOf, sidecarConnectOptions } from '../tls/client-tls.ts';
import type { MtlsConnectOptions } from '../tls/client-tls.ts';
import type { WorkloadTls } from '../types.ts';
import { ForwardHandler } from './forward.ts';
import type { ForwardOutcome, ForwardRequest } from './forward.ts';

export interface UpgradeTarget {
  origin: string;
  /** Mutual TLS to a sidecar's inbound; none: plaintext, or https with the system's CAs. */
  connect?: MtlsConnectOptions;
}

/**
 * Where a handshake to an endpoint goes, by the pools' rule (UpstreamPools.get): a registered
 * endpoint is a sidecar, reached over mutual TLS while this workload holds an X.509-SVID;
 * anything else is reached with its Service's protocol.
 */
export function upgradeTarget(tls: WorkloadTls | undefined, address: string, port: number, service: CompiledService, registered: boolean): UpgradeTarget {
  if (registered && tls) return { origin: originOf('https', address, port), connect: sidecarConnectOptions(tls, service.id) };
  return { origin: originOf(endpointScheme(service), address, port) };
}

class UpgradeHandler extends ForwardHandler {
  readonly #r: ForwardRequest;
  readonly #res: ServerResponse;
  readonly #switched: (upstream: Duplex) => void;

  constructor(r: ForwardRequest, res: ServerResponse, resolve: (o: ForwardOutcome) => void, switched: (upstream: Duplex) => void) {
    super(r, res, resolve);
    this.#r = r;
    this.#res = res;
    this.#switched = switched;
  }

  onUpgrade(statusCode: number, rawHeaders: Buffer[], socket: Duplex): void {
    socket.on('error', () => socket.destroy());
    if (!this.#r.commit(statusCode)) {
      socket.destroy();
      return this.finish({ kind: 'dropped', status: statusCode });
    }
    const res = this.#res;
    if (res.destroyed) {
      socket.destroy();
      return this.finish({ kind: 'failed', error: 'reset', message: 'client closed the connection' });
    }
    // Connection and Upgrade are hop-by-hop: this hop switches protocols itself.
    res.writeHead(statusCode, [...this.#r.responseHeaders(rawHeaders), 'connection', 'Upgrade', 'upgrade', 'websocket']);
    res.flushHeaders();
    this.finish({ kind: 'sent', status: statusCode, complete: true });
    this.#switched(socket);
  }
}

/** The handshake `r` (a GET without a body) to `target`; on `101`, `switched` gets the upstream's socket. */
export function openUpgrade(target: UpgradeTarget, r: ForwardRequest, res: ServerResponse, switched: (upstream: Duplex) => void): Promise<ForwardOutcome> {
  const client = new Client(target.origin, {
    ...(target.connect ? { connect: target.connect } : {}),
    connectTimeout: 5_000,
    headersTimeout: 0, // the proxy's own timeout decides
    bodyTimeout: 300_000,
  });
  const outcome = new Promise<ForwardOutcome>((resolve) => {
    const handler = new UpgradeHandler(r, res, resolve, switched);
    try {
      client.dispatch({ path: r.path, method: 'GET', headers: r.headers, body: null, upgrade: 'websocket' }, handler as Dispatcher.DispatchHandler);
    } catch (e) {
      handler.finish({ kind: 'failed', error: 'connect-failure', message: (e as Error).message });
    }
  });
  // An upgraded socket has left the client; what is left of it closes with the exchange.
  return outcome.finally(() => void client.close().catch(() => undefined));
}
