// Golden metrics (requests, success, latency) as both data planes count them: one series per
// (direction, source workload, destination service, route label, status class, gRPC status),
// each a request counter and a latency histogram with fixed buckets. The decisions live here
// once — which status class a request is, what its route label may be, which buckets — so the
// sidecar (Prometheus /metrics) and the gateway (summaries in its status reports) count alike.
//
// Cardinality is bounded by construction: every label value comes from a bounded set (workloads
// with a verified identity, services of the snapshot, compiled route+rule names, six status
// classes, seventeen gRPC statuses), never from a path, a user or a token; and each destination
// admits at most `maxRouteLabels` distinct route labels (Mesh `spec.telemetry.maxRouteLabels`),
// the rest are counted under `other`.
//
// Per request: a few Map lookups by strings the caller already holds, a handful of additions;
// the label objects are built once, when a series first appears.
import { grpcStatusName } from '../grpc/status.ts';
import { parseSpiffeId } from '../identity/spiffe-id.ts';

/**
 * Latency histogram bounds in seconds (`le`), as Linkerd's and Istio's request-duration
 * histograms span: 5 ms up to 10 s, then +Inf.
 */
export const GOLDEN_LATENCY_BUCKETS_SECONDS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** What became of a request: its HTTP status class, or `abandoned` when the client went away before the response ended. `1xx` is a WebSocket (101). */
export const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx', 'abandoned'] as const;
export type StatusClass = (typeof STATUS_CLASSES)[number];

/** The route label of requests beyond a destination's `maxRouteLabels`. */
export const OTHER_ROUTE = 'other';
/** Source or destination when it is not known (an unauthenticated caller; a request no route matched). */
export const UNKNOWN_WORKLOAD = 'unknown';
/** `Mesh.spec.telemetry.maxRouteLabels` when the Mesh sets none. */
export const DEFAULT_MAX_ROUTE_LABELS = 100;

const ABANDONED = STATUS_CLASSES.indexOf('abandoned');

/** The status class index of a request: abandoned wins over whatever status had been set when the client left. */
function statusClassIndex(status: number, abandoned: boolean): number {
  if (abandoned) return ABANDONED;
  if (status < 200) return 0;
  if (status >= 500) return 4;
  return Math.floor(status / 100) - 1;
}

export function statusClassOf(status: number, abandoned: boolean): StatusClass {
  return STATUS_CLASSES[statusClassIndex(status, abandoned)] as StatusClass;
}

/** A gRPC status outside the spec's 0…16 counts as UNKNOWN (2), as gRPC clients read one; null (not gRPC) is the empty label. */
function grpcIndex(grpcStatus: number | null): number {
  if (grpcStatus === null) return 0;
  return (grpcStatusName(grpcStatus) === undefined ? 2 : grpcStatus) + 1;
}

/** The source label of a caller with this verified SPIFFE ID: `ns/name` for a workload ID, the ID itself for another, `unknown` for none. */
export function sourceWorkloadOf(spiffeId: string | null): string {
  if (spiffeId === null) return UNKNOWN_WORKLOAD;
  const id = parseSpiffeId(spiffeId);
  if (!id) return UNKNOWN_WORKLOAD;
  return id.namespace !== undefined && id.service !== undefined ? `${id.namespace}/${id.service}` : spiffeId;
}

export interface GoldenLabels {
  readonly direction: string;
  readonly source: string;
  readonly destination: string;
  readonly route: string;
  readonly status_class: StatusClass;
  /** The gRPC status name (`OK`, `UNAVAILABLE`…), or empty for a response that was not gRPC. */
  readonly grpc_status: string;
}

export interface GoldenSeries {
  readonly labels: GoldenLabels;
  /** Requests counted. */
  requests: number;
  /** Latency observations per bucket (not cumulative); the last slot is above the largest bound. */
  readonly buckets: Float64Array;
  /** Sum and count of the latency observations (a request without a latency, a WebSocket, is in `requests` only). */
  sum: number;
  count: number;
}

/** One finished request, as a data plane saw it. */
export interface GoldenRequest {
  /** `inbound` or `outbound` (sidecar), `edge` (gateway). */
  direction: string;
  /** Caller workload (`ns/name`, see sourceWorkloadOf). */
  source: string;
  /** Destination service id (`ns/name`). */
  destination: string;
  /** The compiled route+rule name (`ns/route#rule`), or empty when no route matched. */
  route: string;
  status: number;
  /** The client went away before the response ended. */
  abandoned: boolean;
  grpcStatus: number | null;
  /** Time from request to response end; NaN when it is not a latency (a WebSocket's lifetime). */
  seconds: number;
}

/** Route labels admitted per destination, at most `max()` each (read when a new label shows up). */
export class RouteLabelBound {
  readonly #admitted = new Map<string, Set<string>>();
  readonly #max: () => number;

  constructor(max: () => number) {
    this.#max = max;
  }

  /** `route`, or `other` once the destination has `max()` other labels; the empty label (no route) is always admitted. */
  label(destination: string, route: string): string {
    if (route === '') return route;
    let seen = this.#admitted.get(destination);
    if (seen?.has(route)) return route;
    if (!seen) this.#admitted.set(destination, (seen = new Set()));
    if (seen.size >= this.#max()) return OTHER_ROUTE;
    seen.add(route);
    return route;
  }
}

const GRPC_SLOTS = 18; // empty + 0…16
type ByKey = Map<number, GoldenSeries>;

export class GoldenMetrics {
  /** direction → source → destination → route → (status class, gRPC status) → series */
  readonly #tree = new Map<string, Map<string, Map<string, Map<string, ByKey>>>>();
  readonly #routes: RouteLabelBound;

  constructor(options: { maxRouteLabels?: () => number } = {}) {
    const max = options.maxRouteLabels ?? (() => DEFAULT_MAX_ROUTE_LABELS);
    this.#routes = new RouteLabelBound(max);
  }

  record(r: GoldenRequest): void {
    const route = this.#routes.label(r.destination, r.route);
    const cls = statusClassIndex(r.status, r.abandoned);
    const grpc = grpcIndex(r.grpcStatus);
    const byRoute = child(child(child(this.#tree, r.direction), r.source), r.destination);
    let byKey = byRoute.get(route);
    if (!byKey) byRoute.set(route, (byKey = new Map()));
    const key = cls * GRPC_SLOTS + grpc;
    let s = byKey.get(key);
    if (!s) byKey.set(key, (s = newSeries(r.direction, r.source, r.destination, route, cls, grpc)));
    s.requests++;
    if (!Number.isFinite(r.seconds)) return;
    let i = 0;
    while (i < GOLDEN_LATENCY_BUCKETS_SECONDS.length && r.seconds > (GOLDEN_LATENCY_BUCKETS_SECONDS[i] as number)) i++;
    s.buckets[i] = (s.buckets[i] as number) + 1;
    s.sum += r.seconds;
    s.count++;
  }

  *series(): Iterable<GoldenSeries> {
    for (const bySource of this.#tree.values())
      for (const byDestination of bySource.values()) for (const byRoute of byDestination.values()) for (const byKey of byRoute.values()) yield* byKey.values();
  }
}

function child<V>(m: Map<string, Map<string, V>>, key: string): Map<string, V> {
  let c = m.get(key);
  if (!c) m.set(key, (c = new Map()));
  return c;
}

function newSeries(direction: string, source: string, destination: string, route: string, cls: number, grpc: number): GoldenSeries {
  const labels: GoldenLabels = {
    direction,
    source,
    destination,
    route,
    status_class: STATUS_CLASSES[cls] as StatusClass,
    grpc_status: grpc === 0 ? '' : (grpcStatusName(grpc - 1) as string),
  };
  return { labels, requests: 0, buckets: new Float64Array(GOLDEN_LATENCY_BUCKETS_SECONDS.length + 1), sum: 0, count: 0 };
}
