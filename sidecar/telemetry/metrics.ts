// The sidecar's Prometheus metrics (prom-client, one Registry per sidecar) and the
// ProxyObserver that feeds them. The per-request series (requests_total and the latency
// histogram) are counted in RequestSeries: per request, two Map lookups by the label strings
// and a few additions, no label object and no prom-client hashing; prom-client reads them
// when /metrics is scraped. The state gauges (snapshot, SVID, in-flight) are read from their
// sources at scrape time too. A WebSocket counts once, as a request with status 101, when it
// closes; its lifetime is not a latency and stays out of the histogram. The open ones are a gauge.
//
// Beside them, the golden metrics both planes share (core/telemetry/golden-metrics.ts:
// `weft_requests_total` and `weft_request_duration_seconds` by source workload, destination,
// route and status class, docs/observability.md), appended to the same exposition.
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Metric, MetricValue } from 'prom-client';
import { DEFAULT_MAX_ROUTE_LABELS, GoldenMetrics, sourceWorkloadOf, UNKNOWN_WORKLOAD } from '../../core/telemetry/golden-metrics.ts';
import { goldenMetricsText } from '../../core/telemetry/golden-metrics-text.ts';
import type { AccessLogEntry, Direction, ProxyObserver } from '../types.ts';

/** Latency buckets in seconds: 100 µs up to 10 s. */
export const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** What the state gauges read at scrape time; any part may be missing before the sidecar is up. */
export interface MetricsSources {
  status?: () => {
    connected: boolean;
    snapshot: { version: string; appliedAt: string; fromDisk: boolean } | null;
    rejected: { version: string; reason: string } | null;
    svid: { spiffeId: string; expiresAt: string } | null;
    x509Svid?: { spiffeId: string; expiresAt: string } | null;
  } | null;
  inFlight?: () => Partial<Record<Direction, number>>;
  /** The retry budget in force per destination service (the outbound's). */
  retryBudgets?: () => { service: string; percent: number; minRetriesPerSecond: number }[];
}

export interface SidecarMetricsOptions {
  defaultMetrics?: boolean;
  /** This workload (`ns/name`): the source of every outbound request. */
  workload?: string;
  /** Mesh `spec.telemetry.maxRouteLabels` of the snapshot in force; read only when a destination meets a new route. */
  maxRouteLabels?: () => number | undefined;
}

/** prom-client's default gauges named `_total` (Prometheus keeps that suffix for counters: promtool refuses them); their per-type gauges stay. */
const GAUGES_NAMED_TOTAL = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

export interface SidecarMetrics {
  readonly registry: Registry;
  readonly golden: GoldenMetrics;
  readonly observer: ProxyObserver;
  /** Where the state gauges read from (set once the control client and listeners exist). */
  setSources(sources: MetricsSources): void;
  /** The Prometheus text exposition and its content type. */
  render(): Promise<{ body: string; contentType: string }>;
}

interface Series {
  labels: { direction: Direction; route: string; service: string };
  /** Observations per bucket (not cumulative); the last slot is above the largest bound. */
  buckets: Float64Array;
  sum: number;
  count: number;
  /** Requests by status code. */
  codes: Map<number, number>;
  /** gRPC responses by gRPC status (none for plain HTTP). */
  grpcCodes: Map<number, number>;
}

/** Requests by (direction, route, service): status-code counts and latency buckets. */
class RequestSeries {
  readonly #byDirection = { inbound: new Map<string, Map<string, Series>>(), outbound: new Map<string, Map<string, Series>>() };

  record(direction: Direction, route: string, service: string, status: number, grpcStatus: number | null, seconds: number): void {
    const byRoute = this.#byDirection[direction];
    let byService = byRoute.get(route);
    if (!byService) byRoute.set(route, (byService = new Map()));
    let s = byService.get(service);
    if (!s) byService.set(service, (s = { labels: { direction, route, service }, buckets: new Float64Array(LATENCY_BUCKETS.length + 1), sum: 0, count: 0, codes: new Map(), grpcCodes: new Map() }));
    s.codes.set(status, (s.codes.get(status) ?? 0) + 1);
    if (grpcStatus !== null) s.grpcCodes.set(grpcStatus, (s.grpcCodes.get(grpcStatus) ?? 0) + 1);
    if (!Number.isFinite(seconds)) return;
    let i = 0;
    while (i < LATENCY_BUCKETS.length && seconds > (LATENCY_BUCKETS[i] as number)) i++;
    s.buckets[i] = (s.buckets[i] as number) + 1;
    s.sum += seconds;
    s.count++;
  }

  *all(): Iterable<Series> {
    for (const d of ['inbound', 'outbound'] as const) for (const byService of this.#byDirection[d].values()) yield* byService.values();
  }
}

/**
 * `weft_sidecar_request_duration_seconds` as prom-client would expose its own Histogram
 * (same lines, labels and order: `le` first, then direction, route, service; `_sum`, `_count`),
 * read from RequestSeries.
 */
function durationHistogram(name: string, help: string, series: RequestSeries): Metric {
  const values = (): MetricValue<string>[] => {
    const out: MetricValue<string>[] = [];
    for (const s of series.all()) {
      let acc = 0;
      for (let i = 0; i < LATENCY_BUCKETS.length; i++) {
        acc += s.buckets[i] as number;
        out.push({ labels: { le: LATENCY_BUCKETS[i] as number, ...s.labels }, value: acc, metricName: `${name}_bucket` } as MetricValue<string>);
      }
      out.push({ labels: { le: '+Inf', ...s.labels }, value: s.count, metricName: `${name}_bucket` } as MetricValue<string>);
      out.push({ labels: { ...s.labels }, value: s.sum, metricName: `${name}_sum` } as MetricValue<string>);
      out.push({ labels: { ...s.labels }, value: s.count, metricName: `${name}_count` } as MetricValue<string>);
    }
    return out;
  };
  const metric = {
    name,
    help,
    type: 'histogram',
    aggregator: 'sum',
    get: async () => ({ name, help, type: 'histogram', values: values(), aggregator: 'sum' }),
    reset: () => undefined,
  };
  return metric as unknown as Metric;
}

export function createSidecarMetrics(options: SidecarMetricsOptions = {}): SidecarMetrics {
  const registry = new Registry();
  if (options.defaultMetrics !== false) {
    collectDefaultMetrics({ register: registry, prefix: 'weft_sidecar_' });
    for (const name of GAUGES_NAMED_TOTAL) registry.removeSingleMetric(`weft_sidecar_${name}`);
  }
  let sources: MetricsSources = {};

  const workload = options.workload ?? UNKNOWN_WORKLOAD;
  const maxRouteLabels = options.maxRouteLabels;
  const golden = new GoldenMetrics(maxRouteLabels ? { maxRouteLabels: () => maxRouteLabels() ?? DEFAULT_MAX_ROUTE_LABELS } : {});
  /** Verified caller SPIFFE ID → source label; as bounded as the workloads that can prove an identity. */
  const sourceLabels = new Map<string, string>();
  const sourceOf = (peer: string | null): string => {
    if (peer === null) return UNKNOWN_WORKLOAD;
    let s = sourceLabels.get(peer);
    if (s === undefined) sourceLabels.set(peer, (s = sourceWorkloadOf(peer)));
    return s;
  };

  const series = new RequestSeries();
  const requests = new Counter({
    name: 'weft_sidecar_requests_total',
    help: 'Requests answered, by direction, route, destination service and status code.',
    labelNames: ['direction', 'route', 'service', 'code'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const s of series.all()) for (const [code, n] of s.codes) this.inc({ direction: s.labels.direction, route: s.labels.route, service: s.labels.service, code: String(code) }, n);
    },
  });
  new Counter({
    name: 'weft_sidecar_grpc_responses_total',
    help: 'gRPC responses, by direction, route, destination service and gRPC status code (0 OK … 16 UNAUTHENTICATED).',
    labelNames: ['direction', 'route', 'service', 'grpc_code'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const s of series.all()) for (const [code, n] of s.grpcCodes) this.inc({ direction: s.labels.direction, route: s.labels.route, service: s.labels.service, grpc_code: String(code) }, n);
    },
  });
  registry.registerMetric(durationHistogram('weft_sidecar_request_duration_seconds', 'Time from request to response end, by direction, route and destination service.', series));
  const upstreamErrors = new Counter({ name: 'weft_sidecar_upstream_errors_total', help: 'Upstream attempts that failed without a response, by kind (timeout, connect-failure, reset).', labelNames: ['direction', 'service', 'kind'] as const, registers: [registry] });
  const retries = new Counter({ name: 'weft_sidecar_retries_total', help: 'Retry attempts made.', labelNames: ['direction', 'service'] as const, registers: [registry] });
  const budgetRefusals = new Counter({
    name: 'weft_sidecar_retry_budget_refusals_total',
    help: "Retries a route's conditions asked for that the retry budget refused (the failure or answer went to the app instead), by destination service.",
    labelNames: ['service'] as const,
    registers: [registry],
  });
  const budgetFloor = new Gauge({
    name: 'weft_sidecar_retry_budget_min_per_second',
    help: 'The retry budget in force per destination service: retries always allowed per second, whatever the share of active requests.',
    labelNames: ['service'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const b of sources.retryBudgets?.() ?? []) this.set({ service: b.service }, b.minRetriesPerSecond);
    },
  });
  const budgetPercent = new Gauge({
    name: 'weft_sidecar_retry_budget_percent',
    help: 'The retry budget in force per destination service: retries allowed as a percent of active requests.',
    labelNames: ['service'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const b of sources.retryBudgets?.() ?? []) this.set({ service: b.service }, b.percent);
    },
  });
  const ejections = new Counter({ name: 'weft_sidecar_outlier_ejections_total', help: 'Endpoints ejected by outlier detection.', labelNames: ['service', 'endpoint'] as const, registers: [registry] });
  const rateLimited = new Counter({ name: 'weft_sidecar_rate_limited_total', help: 'Requests denied by a rate limit (429), by policy.', labelNames: ['direction', 'policy'] as const, registers: [registry] });
  const circuitOpen = new Counter({ name: 'weft_sidecar_circuit_open_total', help: 'Requests refused because a connection limit was reached (503).', labelNames: ['service', 'limit'] as const, registers: [registry] });

  // Per request: a plain number, read at scrape time (no label hashing on the hot path).
  const transports = { inbound: { mtls: 0, plaintext: 0 }, outbound: { mtls: 0, plaintext: 0 } };
  const byTransport = new Counter({
    name: 'weft_sidecar_requests_by_transport_total',
    help: 'Requests by transport: mutual TLS or plaintext (inbound: how the caller came in; outbound: how the sidecar reached the endpoint).',
    labelNames: ['direction', 'transport'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const d of ['inbound', 'outbound'] as const) for (const t of ['mtls', 'plaintext'] as const) this.inc({ direction: d, transport: t }, transports[d][t]);
    },
  });
  const tlsRefused = new Counter({
    name: 'weft_sidecar_tls_refused_total',
    help: 'Connections or requests refused for their TLS identity, by direction and reason (no_client_cert, expired, untrusted, bad_peer, handshake, no_svid, wrong_server_id).',
    labelNames: ['direction', 'reason'] as const,
    registers: [registry],
  });
  const x509Expiry = new Gauge({
    name: 'weft_sidecar_x509_svid_expiry_seconds',
    help: "Seconds until this workload's X.509-SVID (mTLS certificate) expires; negative once expired.",
    registers: [registry],
    collect() {
      this.reset();
      const x = sources.status?.()?.x509Svid;
      if (x) this.set((Date.parse(x.expiresAt) - Date.now()) / 1000);
    },
  });

  const rejectedSeen = new Set<string>();
  const snapshotInfo = new Gauge({
    name: 'weft_sidecar_snapshot_info',
    help: 'The snapshot enforced now (value 1), with its version and whether it came from disk (last-known-good).',
    labelNames: ['version', 'from_disk'] as const,
    registers: [registry],
    collect() {
      this.reset();
      const snap = sources.status?.()?.snapshot;
      if (snap) this.set({ version: snap.version, from_disk: String(snap.fromDisk) }, 1);
    },
  });
  const appliedAt = new Gauge({
    name: 'weft_sidecar_snapshot_applied_timestamp_seconds',
    help: 'When the enforced snapshot was applied (unix seconds).',
    registers: [registry],
    collect() {
      this.reset();
      const snap = sources.status?.()?.snapshot;
      if (snap) this.set(Date.parse(snap.appliedAt) / 1000);
    },
  });
  const rejected = new Counter({
    name: 'weft_sidecar_snapshot_rejected_total',
    help: 'Distinct snapshot versions this sidecar refused since it started (bad signature, invalid, older than current).',
    registers: [registry],
    collect() {
      const r = sources.status?.()?.rejected;
      if (r) rejectedSeen.add(r.version);
      this.reset();
      this.inc(rejectedSeen.size);
    },
  });
  const svidExpiry = new Gauge({
    name: 'weft_sidecar_svid_expiry_seconds',
    help: "Seconds until this workload's identity (control token) expires; negative once expired.",
    registers: [registry],
    collect() {
      this.reset();
      const svid = sources.status?.()?.svid;
      if (svid) this.set((Date.parse(svid.expiresAt) - Date.now()) / 1000);
    },
  });
  const connected = new Gauge({
    name: 'weft_sidecar_control_connected',
    help: '1 while the last call to the control plane succeeded.',
    registers: [registry],
    collect() {
      this.set(sources.status?.()?.connected ? 1 : 0);
    },
  });
  const inFlight = new Gauge({
    name: 'weft_sidecar_requests_in_flight',
    help: 'Requests being served now, by direction.',
    labelNames: ['direction'] as const,
    registers: [registry],
    collect() {
      const now = sources.inFlight?.() ?? {};
      for (const d of ['inbound', 'outbound'] as const) this.set({ direction: d }, now[d] ?? 0);
    },
  });
  const webSockets = new Gauge({
    name: 'weft_sidecar_websockets_open',
    help: 'WebSockets open now (upgraded, not yet closed), by direction.',
    labelNames: ['direction'] as const,
    registers: [registry],
  });
  for (const direction of ['inbound', 'outbound'] as const) webSockets.set({ direction }, 0);
  void [requests, byTransport, x509Expiry, snapshotInfo, appliedAt, rejected, svidExpiry, connected, inFlight, budgetFloor, budgetPercent];

  const observer: ProxyObserver = {
    request(entry: AccessLogEntry) {
      try {
        const seconds = entry.status === 101 ? Number.NaN : entry.latencyMs / 1000;
        series.record(entry.direction, entry.route ?? '', entry.service ?? '', entry.status, entry.grpcStatus, seconds);
        golden.record({
          direction: entry.direction,
          source: entry.direction === 'outbound' ? workload : sourceOf(entry.peer),
          destination: entry.service ?? UNKNOWN_WORKLOAD,
          route: entry.route ?? '',
          status: entry.status,
          abandoned: entry.abandoned,
          grpcStatus: entry.grpcStatus,
          seconds,
        });
      } catch {
        // metrics never fail a request
      }
    },
    retry(direction, service) {
      retries.inc({ direction, service });
    },
    retryRefused(_direction, service, reason) {
      if (reason === 'budget') budgetRefusals.inc({ service });
    },
    upstreamError(direction, service, kind) {
      upstreamErrors.inc({ direction, service, kind });
    },
    ejection(service, endpoint) {
      ejections.inc({ service, endpoint });
    },
    rateLimited(direction, policy) {
      rateLimited.inc({ direction, policy });
    },
    circuitOpen(service, limit) {
      circuitOpen.inc({ service, limit });
    },
    transport(direction, transport) {
      transports[direction][transport]++;
    },
    tlsRefused(direction, reason) {
      tlsRefused.inc({ direction, reason });
    },
    webSocket(direction, change) {
      if (change === 'opened') webSockets.inc({ direction });
      else webSockets.dec({ direction });
    },
  };

  return {
    registry,
    golden,
    observer,
    setSources(s) {
      sources = { ...sources, ...s };
    },
    async render() {
      const body = await registry.metrics();
      return { body: `${body}${body.endsWith('\n') ? '' : '\n'}${goldenMetricsText(golden)}`, contentType: registry.contentType };
    },
  };
}
