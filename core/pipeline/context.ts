// What a data plane knows about one request as it moves through core's stages: the same
// object at the edge, in a sidecar's outbound and in its inbound. The adapter (gateway/,
// sidecar/) fills the request view from its runtime's request and hands in its pieces; the
// stages decide and record; the adapter writes the answer or moves the bytes.
import type { CompiledRoute, CompiledRule } from '../policy/route/compile.ts';
import type { CompiledService } from '../policy/service/compile.ts';
import type { CompiledHeaderOps } from '../policy/shared/header-ops.ts';
import type { CompiledTarget } from '../policy/shared/resolve-targets.ts';
import type { RetryRefusal } from '../resilience/retry-plan.ts';
import type { SnapshotRuntime } from '../runtime/snapshot-runtime.ts';
import type { Answer } from './answer.ts';
import type { PlanePieces } from './pieces.ts';

/** Which data plane runs the stages: the gateway, or a sidecar's outbound or inbound listener. */
export type Plane = 'edge' | 'outbound' | 'inbound';

export interface HeaderReader {
  get(name: string): string | null;
}

/** The upstream request's headers as stages edit them (a Web Headers, or the sidecar's flat list). */
export interface MutableHeaders extends HeaderReader {
  /** The names present (lower-case or as sent). */
  keys(): Iterable<string>;
  set(name: string, value: string): void;
  append(name: string, value: string): void;
  delete(name: string): void;
}

/** The request as it arrived, read-only. */
export interface RequestView {
  /** As sent (compare upper-cased). */
  method: string;
  /** What routes match on: lower-case, no port, no trailing dot (at the edge the Host; outbound the destination's mesh host; inbound this workload's). */
  host: string;
  /** The path exactly as sent, before normalization. */
  rawPath: string;
  /** The query string without `?` ('' when none). */
  rawQuery: string;
  query: HeaderReader;
  headers: HeaderReader;
  /** The address this hop saw (CF-Connecting-IP at the edge, the socket's peer in a sidecar). */
  clientIp: string | null;
  /** `http` or `https`, as the client reached this hop. */
  scheme: string;
  /** The authority as the client named it (`host[:port]`): X-Forwarded-Host at the edge, the log. */
  authority: string;
  /**
   * The port of the listener that took the request, what a redirect without scheme or port
   * keeps (Gateway API): at the edge the gateway's listener (core/http/listener-port.ts);
   * outbound the port the app addressed, the mesh's listener for that service; inbound the
   * socket's. Null when the client named a port no URL can hold.
   */
  listenerPort: number | null;
  /** Inbound over mutual TLS: the verified client certificate's SPIFFE ID; else null. */
  tlsPeer: string | null;
  /**
   * The protocols the client asked this hop to switch to (its Upgrade header), when the
   * runtime's server took the request as an upgrade; else null or absent.
   */
  upgrade?: string | null;
}

export interface AuthenticatedUser {
  /** `iss/sub`, or `apikey/<name>`. */
  requestPrincipal: string;
  claims: Record<string, unknown>;
  /** The API key name the request authenticated with, if any (per-key limits count it). */
  apiKey: string | null;
}

export interface RouteMatch {
  /** null for the implicit rule of a service no mesh route governs (outbound). */
  route: CompiledRoute | null;
  rule: CompiledRule;
  params: Record<string, string>;
  /** The prefix the rule matched on, for a prefix rewrite or redirect. */
  matchedPrefix: string | null;
}

export interface PipelineContext<R = unknown> {
  readonly plane: Plane;
  readonly runtime: SnapshotRuntime;
  readonly request: RequestView;
  readonly pieces: PlanePieces<R>;
  /** Clock reading when the request arrived (ms): the route timeout's deadline counts from here. */
  readonly startedAt: number;
  /**
   * `websocket` when the request is a WebSocket handshake (core/http/websocket-upgrade.ts):
   * the stages decide it like any request, and the last one opens an upgrade instead of a try.
   */
  readonly upgrade: 'websocket' | null;
  /** W3C traceparent of this hop, sent upstream. */
  readonly traceparent: string;
  /** The normalized path: what routing and access policy see. */
  path: string;
  /** The service the request is addressed to: outbound its destination, inbound this workload's own. */
  service: string | null;
  match?: RouteMatch;
  /** The matched rule as the access log names it (`ns/name#rule`). */
  routeLabel: string | null;
  /** Policy targets of the request: policies attach to these. */
  targets: CompiledTarget[];
  /** Verified caller SPIFFE ID (inbound), else null. */
  peer: string | null;
  user?: AuthenticatedUser;
  /** The request-body limit in force (bytes), once the request-size stage set it: the adapter counts a body of undeclared length against it. */
  maxRequestBytes: number | null;
  /** The backend picked for this request, with its own header operations (applied after the rule's). */
  backend?: { service: CompiledService; subset: string | null; requestHeaders: CompiledHeaderOps; responseHeaders: CompiledHeaderOps };
  upstreamHeaders: MutableHeaders;
  /** Path sent upstream (after rewrite), without the query. */
  upstreamPath: string;
  /** Host a rewrite asks for, else null (the adapter sends the client's). */
  upstreamHost: string | null;
  /**
   * Headers every answer to this request carries (CORS, rate limits), in order: a `vary`
   * value is appended to the response's, any other replaces it.
   */
  responseHeaders: [name: string, value: string][];
  /** `address:port` of the last endpoint tried, for the log. */
  upstream: string | null;
  retries: number;
  /** Why a retry the rule asked for was not sent (the last such refusal), for the log; else null. */
  retryRefused: RetryRefusal | null;
  /** The error code the request was answered with by a stage, for the log and metrics. */
  reason: string | null;
  /** The adapter's own result of the try that was passed to the client (the gateway's Response). */
  delivered?: R;
}

/** A stage either answers (ending the pipeline) or lets the request go on; sync when it can (each await is a turn). */
export type Stage = (c: PipelineContext) => Answer | undefined | Promise<Answer | undefined>;
