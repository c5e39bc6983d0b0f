// What an adapter hands the stages: its clock and randomness, its counter stores, its
// identity material, its byte mover (`tryOnce`), and where it reports what happened. Every
// decision stays in core; these only read, count, sign or move bytes.
import type { JwksCache } from '../authn/jwks-cache.ts';
import type { TunnelLimits } from '../http/websocket-upgrade.ts';
import type { EndpointsDocument } from '../endpoints/endpoints-document.ts';
import type { EndpointPools } from '../lb/endpoint-pools.ts';
import type { LbEndpoint } from '../lb/picker.ts';
import type { CompiledService } from '../policy/service/compile.ts';
import type { CounterStore } from '../ratelimit/counter-store.ts';
import type { RetryRefusal } from '../resilience/retry-plan.ts';
import type { Answer } from './answer.ts';
import type { PipelineContext } from './context.ts';

export type UpstreamFailure = 'timeout' | 'connect-failure' | 'reset';

/** One try's outcome, as the adapter's byte mover saw it. */
export type TryOutcome<R> =
  /** The response went (or goes) to the client: the gateway's Response, or a sidecar's written head. `complete` false: its body broke off. */
  | { kind: 'committed'; status: number; value: R; complete?: boolean }
  /** The response was dropped, at commit()'s request, to retry. */
  | { kind: 'dropped'; status: number }
  /** No response head: the try failed. `wrongPeer`: the mTLS server was not the destination service. */
  | { kind: 'failed'; error: UpstreamFailure; message: string; wrongPeer?: boolean }
  /** The client went away before a response: nobody to answer or retry for. */
  | { kind: 'abandoned' }
  /** The request body went over `limit` (`c.maxRequestBytes`) as it streamed, before a response head: the try was aborted. */
  | { kind: 'oversize'; limit: number };

export interface TryRequest {
  service: CompiledService;
  endpoint: LbEndpoint;
  /** Whether the endpoint is a registered sidecar (reached over mTLS when the adapter can). */
  registered: boolean;
  /** Limit on the wait for the response head, ms; 0 = none. */
  timeoutMs: number;
  /**
   * Whether a response with this status goes to the client (else drop it: a retry follows).
   * `grpcStatus`: the `grpc-status` in the response head, when the upstream answered a gRPC
   * call trailers-only (parseGrpcStatus of the header); gRPC retry conditions read it.
   */
  commit(status: number, grpcStatus?: number): boolean;
}

/** One shadow copy of the request, as the attempts stage decided it. */
export interface MirrorCopy {
  service: CompiledService;
  endpoint: LbEndpoint;
  /** Whether the endpoint is a registered sidecar (reached over mTLS when the adapter can). */
  registered: boolean;
  /** Limit on the wait for the copy's answer, ms; 0 = none. */
  timeoutMs: number;
}

/**
 * One try of a WebSocket handshake: the request goes to the endpoint as an upgrade. A `101`
 * is committed like any status (`commit(101)`) and the adapter then joins the two sockets
 * under `tunnel`'s limits, closing them with 1001 when one is reached; the outcome comes at
 * the `101`, not when the socket closes. Any other answer is an ordinary response (retried
 * or passed on as tryOnce would).
 */
export interface UpgradeTry extends TryRequest {
  tunnel: TunnelLimits;
}

/** Counters the planes keep; each must be cheap and never throw. */
export interface PipelineObserver {
  retry?(c: PipelineContext, service: string): void;
  /** A failed try the rule's retry conditions cover was not retried: the budget was spent, or the deadline left no time. */
  retryRefused?(c: PipelineContext, service: string, reason: RetryRefusal): void;
  upstreamError?(c: PipelineContext, service: string, kind: UpstreamFailure, wrongPeer: boolean): void;
  ejection?(service: string, endpoint: string): void;
  circuitOpen?(service: string, limit: 'maxConnections' | 'maxPendingRequests'): void;
  rateLimited?(c: PipelineContext, policy: string): void;
  /** A counter store failed and its limit was skipped (fail open). */
  rateLimitStoreFailed?(policy: string, limit: string, error: unknown): void;
}

/** A caller's JWT-SVID or edge token checked by the adapter's (cached) verifier. */
export type Verified<T> = { ok: true; value: T } | { ok: false; code: string; message: string };

export interface PlanePieces<R = unknown> {
  now(): number;
  random(): number;
  sleep(ms: number): Promise<void>;
  /** `local`: this proxy's buckets; `global`: the mesh-wide or edge-wide counter. */
  counters: { local: CounterStore; global: CounterStore };
  /** End-user authentication: the JWKS cache, and the Workers waitUntil that keeps a background refresh alive. */
  authn: { jwks: JwksCache; waitUntil?: (p: Promise<unknown>) => void };
  pools: EndpointPools;
  /** The registered endpoints document in force (a promise only while it first loads). */
  registered(): EndpointsDocument | undefined | Promise<EndpointsDocument | undefined>;
  /**
   * Readies the request body for the tries: whether it may be sent more than once (buffered).
   * A body of undeclared length is counted as it streams and stops past `c.maxRequestBytes`
   * (the try then ends `oversize`, or its response is cut if its head went out already).
   */
  body(): boolean | Promise<boolean>;
  /**
   * For a body that body() could not call replayable up front (streamed, of unknown length):
   * whether it can be sent again now (it ended within the replay limit while the first try
   * was sent). Absent: such a body is never retried.
   */
  replayableNow?(): boolean;
  /** One try against one endpoint. */
  tryOnce(t: TryRequest): Promise<TryOutcome<R>>;
  /** One try of a WebSocket handshake (c.upgrade) against one endpoint; there is no body to send. */
  tryUpgrade(t: UpgradeTry): Promise<TryOutcome<R>>;
  /** A fire-and-forget shadow copy of the request to one mirror's endpoint (its answer is discarded). */
  mirror(m: MirrorCopy): void;
  /**
   * This plane's identity for a call to `audience` (the backend's SPIFFE ID), set on the
   * upstream headers: the gateway's edge token and JWT-SVID, a sidecar's JWT-SVID.
   */
  identity(c: PipelineContext, audience: string): Answer | undefined | Promise<Answer | undefined>;
  /** A sidecar inbound's caller checks; absent elsewhere. */
  inbound?: InboundPieces;
  observer: PipelineObserver;
}

export interface InboundPieces {
  /** Verifies a caller's JWT-SVID addressed to this workload: the caller's SPIFFE ID. */
  verifySvid(token: string): Promise<Verified<string>>;
  /** Verifies an edge token addressed to this workload or, delegated one hop, to the verified `caller`. */
  verifyEdgeToken(token: string, caller: string | null): Promise<Verified<{ requestPrincipal: string; claims: Record<string, unknown> }>>;
  /**
   * Passes the request to the app beside this sidecar (one try, no retries: the caller's
   * sidecar retried); `timeoutMs` bounds the wait for its response head, 0 = none.
   */
  toApp(timeoutMs: number): Promise<TryOutcome<unknown>>;
  /** A WebSocket handshake to the app, once; on `101` the sockets are joined under `tunnel`'s limits. */
  upgradeToApp(tunnel: TunnelLimits): Promise<TryOutcome<unknown>>;
  /** The gateway's SPIFFE ID (the edge tokens' issuer), '' when the trust bundle names none. */
  edgeIssuer(): string;
  /** Whether this sidecar serves mutual TLS now (it holds an X.509-SVID). */
  mtlsCapable(): boolean;
}
