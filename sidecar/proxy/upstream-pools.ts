// Keep-alive connection pools, one undici Pool per upstream endpoint (origin) and connection
// limits. A pool is sized from its Service's connectionLimits: at most `maxConnections`
// sockets, one request per socket at a time (pipelining 1, so a slow response never blocks
// another behind it), recycled after `maxRequestsPerConnection`. When the endpoint set
// changes, pools nobody asks for any more are closed after a grace period (in-flight
// requests finish on them).
//
// An endpoint that is another sidecar's inbound port (a registered endpoint) is reached over
// mutual TLS: https with this workload's X.509-SVID, the bundle's CAs, and the destination
// service's SPIFFE ID required of the server (sidecar/tls/client-tls.ts). Those pools belong
// to one mTLS material: when it changes (SVID renewed, CA bundle changed), new requests get
// fresh pools with the new certificate, and the old ones are closed gracefully (requests on
// them finish; undici's close waits for them). Static endpoints are plain apps: their
// Service's protocol.
//
// HTTP/2 pools (`h2`, h2-pool.ts) multiplex: one connection carries up to 100 requests at once, so
// a gRPC client's one channel is balanced per request (each request picks its endpoint, then
// rides that endpoint's shared connection). To another sidecar h2 is negotiated by ALPN over
// mutual TLS, or spoken in cleartext (h2c) when there is no TLS material; to an app whose
// Service says `http2` or `grpc`, h2c.
import { Pool } from 'undici';
import { H2Pool } from './h2-pool.ts';
import type { ConnectionLimits } from '../../core/lb/circuit-breaker.ts';
import { requestsPerConnection } from '../../core/lb/circuit-breaker.ts';
import { originOf, sidecarConnectOptions } from '../tls/client-tls.ts';
import type { MtlsConnectOptions } from '../tls/client-tls.ts';
import type { CompiledService } from '../../core/policy/service/compile.ts';
import { endpointScheme, speaksHttp2 } from '../../core/policy/service/protocol.ts';
import type { WorkloadTls } from '../types.ts';

const RETIRE_AFTER_MS = 30_000;
/** Pools of a replaced mTLS material close this long after the swap (requests already dispatched finish first either way). */
const TLS_RETIRE_AFTER_MS = 1_000;

/** How a pool speaks to its origin: HTTP/1.1, or HTTP/2 (by ALPN over TLS, prior knowledge in cleartext). */
export type PoolProtocol = 'http1' | 'h2';

/** An upstream: undici's Pool (HTTP/1.1) or an H2Pool (HTTP/2); forward.ts dispatches on either. */
export type Upstream = Pool | H2Pool;

export function newPool(origin: string, limits: ConnectionLimits | undefined, connect?: MtlsConnectOptions): Pool;
export function newPool(origin: string, limits: ConnectionLimits | undefined, connect?: MtlsConnectOptions, protocol?: PoolProtocol): Upstream;
export function newPool(origin: string, limits: ConnectionLimits | undefined, connect?: MtlsConnectOptions, protocol: PoolProtocol = 'http1'): Upstream {
  if (protocol === 'h2') return new H2Pool(origin, { ...(connect ? { tls: connect } : {}), ...(limits ? { maxSessions: limits.maxConnections } : {}) });
  const perClient = limits ? requestsPerConnection(limits) : undefined;
  return new Pool(origin, {
    ...(connect ? { connect } : {}),
    connections: limits?.maxConnections ?? null,
    // One request at a time on an HTTP/1.1 connection, so a slow response never blocks another behind it.
    pipelining: 1,
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 60_000,
    connectTimeout: 5_000,
    headersTimeout: 0, // the proxy's own timeout decides
    bodyTimeout: 300_000,
    ...(perClient !== undefined ? { maxRequestsPerClient: perClient } : {}),
  });
}

export class UpstreamPools {
  #current = new Map<string, Upstream>();
  #retiring = new Map<string, Upstream>();
  #timer: NodeJS.Timeout | undefined;
  readonly #tls: () => WorkloadTls | undefined;
  #material: WorkloadTls | undefined;
  #mtls = new Map<string, Upstream>();
  /** mTLS pools of the current material not asked for since the endpoint set changed. */
  #mtlsRetiring = new Map<string, Upstream>();
  readonly #mtlsPools = new WeakSet<Upstream>();
  readonly #draining = new Set<Upstream>();

  /** `tls`: the current mTLS material (SidecarView.tls); none = sidecars are reached in plaintext. */
  constructor(tls: () => WorkloadTls | undefined = () => undefined) {
    this.#tls = tls;
  }

  /** Whether requests on this pool go over mutual TLS. */
  isMtls(pool: Upstream): boolean {
    return this.#mtlsPools.has(pool);
  }

  /**
   * The pool for one try at `endpoint` of `service`. A static endpoint is the app itself: it is
   * spoken to in its Service's protocol. A registered endpoint is another sidecar, which speaks
   * both: HTTP/2 when the Service does, or when the request came in over HTTP/2 (so its
   * streams stay multiplexed and its trailers survive the hop).
   */
  forEndpoint(service: CompiledService, endpoint: { address: string; port: number }, registered: boolean, requestIsHttp2: boolean): Upstream {
    const h2 = speaksHttp2(service) || (registered && requestIsHttp2);
    return this.get(endpoint.address, endpoint.port, endpointScheme(service), service.connectionLimits, registered ? service.id : undefined, h2 ? 'h2' : 'http1');
  }

  /**
   * The pool for an endpoint, created on first use. `sidecarOf`: the destination service id
   * when the endpoint is a sidecar's inbound port (then: mutual TLS, if this sidecar has an SVID).
   */
  get(address: string, port: number, scheme: 'http' | 'https', limits: ConnectionLimits, sidecarOf?: string, protocol: PoolProtocol = 'http1'): Upstream {
    if (sidecarOf !== undefined) {
      const tls = this.#tls();
      if (tls) return this.#mtlsPool(address, port, limits, sidecarOf, tls, protocol);
    }
    const key = `${scheme}|${protocol}|${address}|${port}|${limits.maxConnections}|${limits.maxRequestsPerConnection}`;
    let pool = this.#current.get(key);
    if (pool) return pool;
    pool = this.#retiring.get(key);
    if (pool) this.#retiring.delete(key);
    else pool = newPool(originOf(scheme, address, port), limits, undefined, protocol);
    this.#current.set(key, pool);
    return pool;
  }

  #mtlsPool(address: string, port: number, limits: ConnectionLimits, serviceId: string, tls: WorkloadTls, protocol: PoolProtocol): Upstream {
    if (tls !== this.#material) {
      // New certificate or CA set: fresh pools (new connections, new handshakes) from now on;
      // the old pools finish what they carry and close.
      const old = [...this.#mtls.values(), ...this.#mtlsRetiring.values()];
      this.#mtls = new Map();
      this.#mtlsRetiring = new Map();
      this.#material = tls;
      for (const p of old) this.#drain(p);
    }
    const key = `${serviceId}|${protocol}|${address}|${port}|${limits.maxConnections}|${limits.maxRequestsPerConnection}`;
    let pool = this.#mtls.get(key);
    if (!pool && (pool = this.#mtlsRetiring.get(key))) {
      this.#mtlsRetiring.delete(key);
      this.#mtls.set(key, pool);
    }
    if (!pool) {
      pool = newPool(originOf('https', address, port), limits, sidecarConnectOptions(tls, serviceId), protocol);
      this.#mtlsPools.add(pool);
      this.#mtls.set(key, pool);
    }
    return pool;
  }

  #drain(pool: Upstream): void {
    this.#draining.add(pool);
    const t = setTimeout(() => {
      void pool
        .close()
        .catch(() => undefined)
        .finally(() => this.#draining.delete(pool));
    }, TLS_RETIRE_AFTER_MS);
    t.unref();
  }

  /** The endpoint set changed: pools not asked for again within the grace period are closed. */
  retireUnused(): void {
    for (const [k, p] of this.#current) this.#retiring.set(k, p);
    this.#current = new Map();
    for (const [k, p] of this.#mtls) this.#mtlsRetiring.set(k, p);
    this.#mtls = new Map();
    if (this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      const old = [...this.#retiring.values(), ...this.#mtlsRetiring.values()];
      this.#retiring = new Map();
      this.#mtlsRetiring = new Map();
      for (const p of old) void p.close().catch(() => undefined);
    }, RETIRE_AFTER_MS);
    this.#timer.unref();
  }

  async close(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    const all = [...this.#current.values(), ...this.#retiring.values(), ...this.#mtls.values(), ...this.#mtlsRetiring.values(), ...this.#draining];
    this.#current.clear();
    this.#retiring.clear();
    this.#mtls.clear();
    this.#mtlsRetiring.clear();
    this.#draining.clear();
    await Promise.all(all.map((p) => p.destroy().catch(() => undefined)));
  }
}
