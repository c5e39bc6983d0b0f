// The per-request series (requests_total, request_duration_seconds) are counted outside
// prom-client on the hot path; /metrics must still read exactly as prom-client's own Counter
// and Histogram would expose the same requests.
import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createSidecarMetrics, LATENCY_BUCKETS } from '../../sidecar/telemetry/metrics.ts';
import type { AccessLogEntry } from '../../sidecar/types.ts';

const lines = (text: string) => text.split('\n').filter((l) => /weft_sidecar_request(s_total|_duration_seconds)/.test(l));

describe('sidecar request metrics', () => {
  it('expose the same lines as prom-client Counter + Histogram fed the same requests', async () => {
    const metrics = createSidecarMetrics({ defaultMetrics: false });
    const reference = new Registry();
    const counter = new Counter({ name: 'weft_sidecar_requests_total', help: 'Requests answered, by direction, route, destination service and status code.', labelNames: ['direction', 'route', 'service', 'code'], registers: [reference] });
    const histogram = new Histogram({ name: 'weft_sidecar_request_duration_seconds', help: 'Time from request to response end, by direction, route and destination service.', labelNames: ['direction', 'route', 'service'], buckets: LATENCY_BUCKETS, registers: [reference] });
    const latencies = [0.05, 0.1, 0.3, 0.25, 1, 7, 20_000, 12_000, 0.5, 1000];
    const routes = [null, 'default/x#a', 'default/"q\\"#b'];
    let i = 0;
    for (const direction of ['outbound', 'inbound', 'outbound'] as const)
      for (const route of routes)
        for (const latencyMs of latencies) {
          const status = [200, 503, 200, 404][i++ % 4] as number;
          const service = route ? 'default/x' : null;
          const entry: AccessLogEntry = { direction, method: 'GET', authority: 'x', path: '/', route, service, status, grpcStatus: null, protocol: 'HTTP/1.1', latencyMs, upstream: null, peer: null, principal: null, traceId: null, retries: 0, retryRefused: null, reason: null, abandoned: false };
          metrics.observer.request(entry);
          counter.inc({ direction, route: route ?? '', service: service ?? '', code: String(status) });
          histogram.observe({ direction, route: route ?? '', service: service ?? '' }, latencyMs / 1000);
        }
    const ours = lines((await metrics.render()).body);
    const theirs = lines(await reference.metrics());
    expect(ours.length).toBeGreaterThan(50);
    expect([...ours].sort()).toEqual([...theirs].sort());
    // and the HELP/TYPE headers come first, as prom-client writes them
    expect(ours.filter((l) => l.startsWith('#'))).toEqual(theirs.filter((l) => l.startsWith('#')));
  });
});

describe('sidecar retry budget metrics', () => {
  it('count the retries the budget refused per service, and show each budget in force', async () => {
    const metrics = createSidecarMetrics({ defaultMetrics: false });
    metrics.setSources({ retryBudgets: () => [{ service: 'default/ratings', percent: 20, minRetriesPerSecond: 10 }] });
    metrics.observer.retryRefused?.('outbound', 'default/ratings', 'budget');
    metrics.observer.retryRefused?.('outbound', 'default/ratings', 'budget');
    // A deadline refusal is a 504 the request series already count; the budget counter is the budget's.
    metrics.observer.retryRefused?.('outbound', 'default/ratings', 'deadline');
    const text = (await metrics.render()).body;
    expect(text).toContain('weft_sidecar_retry_budget_refusals_total{service="default/ratings"} 2\n');
    expect(text).toContain('weft_sidecar_retry_budget_min_per_second{service="default/ratings"} 10\n');
    expect(text).toContain('weft_sidecar_retry_budget_percent{service="default/ratings"} 20\n');
  });
});
