// The seams between the sidecar's parts. The data path (proxy/) reads policy, endpoints and
// identity through a SidecarView and reports what happened to a ProxyObserver; the control
// client (control/) is the live SidecarView, tests use a fixed one; telemetry/ is the observer.
import type { JSONWebKeySet } from 'jose';
import { EDGE_TOKEN_HEADER } from '../core/identity/edge-token.ts';
import { SVID_HEADER } from '../core/identity/jwt-svid.ts';
import { APP_IDENTITY_HEADERS } from '../core/pipeline/stages/app-identity-headers.ts';
import type { EndpointsDocument } from '../core/endpoints/endpoints-document.ts';
import type { SnapshotRuntime } from '../core/runtime/snapshot-runtime.ts';
import type { CounterStore } from '../core/ratelimit/counter-store.ts';
import type { RetryRefusal } from '../core/resilience/retry-plan.ts';

/** This workload: who the sidecar speaks for. */
export interface WorkloadSelf {
  trustDomain: string;
  namespace: string;
  service: string;
  /** `spiffe://<trustDomain>/ns/<namespace>/sa/<service>` */
  spiffeId: string;
  /** One per process/instance: the endpoint registration id and the status node id. */
  instanceId: string;
  labels: Record<string, string>;
}

/** The trust bundle as control serves it (`GET /v1/bundle`). */
export interface TrustBundle {
  trustDomain: string;
  /** Control's own SPIFFE ID: the audience of controlToken. */
  controlId: string;
  /** Keys that sign snapshots, endpoints documents and JWT-SVIDs. */
  jwks: JSONWebKeySet;
  /** PEM CA certificates (X.509-SVIDs). */
  x509Authorities: string[];
  /** Gateway edge-token keys, certified by control. */
  edge: { issuer: string; jwks: JSONWebKeySet };
}

/**
 * This workload's X.509-SVID with its private key and the CA certificates it trusts, for
 * mutual TLS between sidecars. One immutable value: a renewal or a new CA bundle replaces the
 * whole object, so the data path notices a change by reference (`view.tls() !== last`).
 */
export interface WorkloadTls {
  /** The SVID's one URI SAN. */
  spiffeId: string;
  /** PEM leaf certificate (the X.509-SVID). */
  certificatePem: string;
  /** PEM PKCS#8 private key, made by this sidecar (never sent anywhere). */
  privateKeyPem: string;
  /** PEM CA certificates peers' SVIDs must chain to (the bundle's x509Authorities, old and new CA during a rotation). */
  authorities: readonly string[];
  /** When this sidecar got the SVID and when it expires (ms since the epoch). */
  issuedAt: number;
  expiresAt: number;
}

/**
 * What the data path reads, per request. Each getter returns the current value; a new snapshot
 * or endpoints document replaces the whole value at once, so a request that read the old one
 * finishes on it (atomic apply).
 */
export interface SidecarView {
  readonly self: WorkloadSelf;
  runtime(): SnapshotRuntime | undefined;
  endpoints(): EndpointsDocument | undefined;
  bundle(): TrustBundle | undefined;
  /** This workload's JWT-SVID for `audience` (the callee's SPIFFE ID); cached, renewed before expiry. Rejects when there is no identity. */
  jwtSvid(audience: string): Promise<string>;
  /** The X.509-SVID, key and CA bundle for mutual TLS; undefined while there is none (or it has expired). */
  tls(): WorkloadTls | undefined;
  /** The mesh-wide counter for `global` rate limits (a quota leased from control); absent in fixed test views, where they count per proxy. */
  readonly globalCounters?: CounterStore;
}

export type Direction = 'inbound' | 'outbound';

/** One access-log line (JSON), written after the response has ended. */
export interface AccessLogEntry {
  direction: Direction;
  method: string;
  /** Host (or authority) the request named. */
  authority: string;
  path: string;
  /** `ns/name#rule`, or null when no route matched. */
  route: string | null;
  /** Destination service id (`ns/name`) outbound; this workload's service inbound. */
  service: string | null;
  status: number;
  /** The gRPC status the response carried (its trailers, or a trailers-only head), or null when it was not a gRPC response. */
  grpcStatus: number | null;
  /** `HTTP/1.1` or `HTTP/2`: what the caller spoke to this sidecar. */
  protocol: string;
  latencyMs: number;
  /** `address:port` of the endpoint that answered, if any. */
  upstream: string | null;
  /** Verified caller SPIFFE ID (inbound), or null. */
  peer: string | null;
  /** Verified end user (`iss/sub`, `apikey/<name>`) from the edge token, or null. */
  principal: string | null;
  traceId: string | null;
  /** This hop's span: the span id in the traceparent sent on (tracing records the span under it). */
  spanId?: string | null;
  /** The caller's span id from its traceparent, or null when the trace starts here. */
  parentSpanId?: string | null;
  /** The sampled flag of the traceparent sent on (the caller's decision, or ours for a trace that starts here); null when the sidecar answered before reading it. */
  sampled?: boolean | null;
  /** Retries made (attempts - 1). */
  retries: number;
  /** Why a retry the route asked for was not sent: `budget` (the retry budget was spent) or `deadline` (no time left), else null. */
  retryRefused: RetryRefusal | null;
  /** Why the sidecar answered itself (an error code such as `no_route`, `unauthenticated`, `rate_limited`, `circuit_open`), or null. */
  reason: string | null;
  /** The client went away before the response ended (`status` is then whatever had been set, not an answer it got). */
  abandoned: boolean;
}

/** Metrics and logs hook into the data path here; every method must be cheap and never throw. */
export interface ProxyObserver {
  /** An observer that records traces (tracing with an exporter) samples the traces that start at this sidecar. */
  readonly samplesNewTraces?: boolean;
  request(entry: AccessLogEntry): void;
  retry(direction: Direction, service: string): void;
  /** A retry the route asked for was not sent (optional: observers that only log requests omit it). */
  retryRefused?(direction: Direction, service: string, reason: RetryRefusal): void;
  upstreamError(direction: Direction, service: string, kind: 'timeout' | 'connect-failure' | 'reset'): void;
  ejection(service: string, endpoint: string): void;
  rateLimited(direction: Direction, policy: string): void;
  circuitOpen(service: string, limit: 'maxConnections' | 'maxPendingRequests'): void;
  /** A request by transport: over mutual TLS or plaintext (optional: observers that predate mTLS omit it). */
  transport?(direction: Direction, transport: 'mtls' | 'plaintext'): void;
  /** A WebSocket opened through (after its 101) or closed by a listener: the open-connections gauge. */
  webSocket?(direction: Direction, change: 'opened' | 'closed'): void;
  /** A connection or request refused for its TLS identity (`no_client_cert`, `expired`, `untrusted`, `bad_peer`, `handshake`, `no_svid`, `wrong_server_id`). */
  tlsRefused?(direction: Direction, reason: string): void;
}

/** A running listener (inbound, outbound). */
export interface ProxyListener {
  readonly port: number;
  /** Requests being served now, open WebSockets included. */
  inFlight(): number;
  /** The retry budgets in force (the outbound's, per destination service); absent on a listener that never retries. */
  retryBudgets?(): { service: string; percent: number; minRetriesPerSecond: number }[];
  /** Stops accepting; waits for in-flight requests and open WebSockets up to graceMs, then closes what is left (WebSockets with 1001). */
  close(graceMs: number): Promise<void>;
}

/** The headers the mesh itself speaks; an app never sets or sees them raw. */
export const MESH_HEADERS = {
  /** The caller's JWT-SVID, audience = the callee's SPIFFE ID (outbound sets, inbound verifies and removes). */
  svid: SVID_HEADER,
  /** The gateway's edge token (end-user identity), forwarded as is. */
  edgeToken: EDGE_TOKEN_HEADER,
  /** To the app, inbound: the verified caller SPIFFE ID. */
  peerId: APP_IDENTITY_HEADERS.peerId,
  /** To the app, inbound: the verified end user (`iss/sub`). */
  principal: APP_IDENTITY_HEADERS.principal,
  /** To the app, inbound: the verified end user's forwarded claims, JSON. */
  claims: APP_IDENTITY_HEADERS.claims,
} as const;
