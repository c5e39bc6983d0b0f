// The sidecar's Prometheus metrics (prom-client, one Registry per sidecar) and the
// ProxyObserver that feeds them. Per-request work is a counter increment and a histogram
// observation; the state gauges (snapshot, SVID, in-flight) are read from their sources only
// when /metrics is scraped.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
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
  } | null;
  inFlight?: () => Partial<Record<Direction, number>>;
}

export interface SidecarMetrics {
  readonly registry: Registry;
  readonly observer: ProxyObserver;
  /** Where the state gauges read from (set once the control client and listeners exist). */
  setSources(sources: MetricsSources): void;
  /** The Prometheus text exposition and its content type. */
  render(): Promise<{ body: string; contentType: string }>;
}

export function createSidecarMetrics(options: { defaultMetrics?: boolean } = {}): SidecarMetrics {
  const registry = new Registry();
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'weft_sidecar_' });
  let sources: MetricsSources = {};

  const requests = new Counter({ name: 'weft_sidecar_requests_total', help: 'Requests answered, by direction, route, destination service and status code.', labelNames: ['direction', 'route', 'service', 'code'] as const, registers: [registry] });
  const duration = new Histogram({ name: 'weft_sidecar_request_duration_seconds', help: 'Time from request to response end, by direction, route and destination service.', labelNames: ['direction', 'route', 'service'] as const, buckets: LATENCY_BUCKETS, registers: [registry] });
  const upstreamErrors = new Counter({ name: 'weft_sidecar_upstream_errors_total', help: 'Upstream attempts that failed without a response, by kind (timeout, connect-failure, reset).', labelNames: ['direction', 'service', 'kind'] as const, registers: [registry] });
  const retries = new Counter({ name: 'weft_sidecar_retries_total', help: 'Retry attempts made.', labelNames: ['direction', 'service'] as const, registers: [registry] });
  const ejections = new Counter({ name: 'weft_sidecar_outlier_ejections_total', help: 'Endpoints ejected by outlier detection.', labelNames: ['service', 'endpoint'] as const, registers: [registry] });
  const rateLimited = new Counter({ name: 'weft_sidecar_rate_limited_total', help: 'Requests denied by a rate limit (429), by policy.', labelNames: ['direction', 'policy'] as const, registers: [registry] });
  const circuitOpen = new Counter({ name: 'weft_sidecar_circuit_open_total', help: 'Requests refused because a connection limit was reached (503).', labelNames: ['service', 'limit'] as const, registers: [registry] });

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
  const rejected = new Gauge({
    name: 'weft_sidecar_snapshot_rejected_total',
    help: 'Distinct snapshot versions this sidecar refused since it started (bad signature, invalid, older than current).',
    registers: [registry],
    collect() {
      const r = sources.status?.()?.rejected;
      if (r) rejectedSeen.add(r.version);
      this.set(rejectedSeen.size);
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
  void [snapshotInfo, appliedAt, rejected, svidExpiry, connected, inFlight];

  const observer: ProxyObserver = {
    request(entry: AccessLogEntry) {
      try {
        const route = entry.route ?? '';
        const service = entry.service ?? '';
        requests.inc({ direction: entry.direction, route, service, code: String(entry.status) });
        duration.observe({ direction: entry.direction, route, service }, entry.latencyMs / 1000);
      } catch {
        // metrics never fail a request
      }
    },
    retry(direction, service) {
      retries.inc({ direction, service });
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
  };

  return {
    registry,
    observer,
    setSources(s) {
      sources = { ...sources, ...s };
    },
    async render() {
      return { body: await registry.metrics(), contentType: registry.contentType };
    },
  };
}
