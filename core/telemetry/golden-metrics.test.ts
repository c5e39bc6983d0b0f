// Golden metrics, in-process: status classes (abandoned is not a 200), gRPC status names,
// source labels from SPIFFE IDs, the per-destination route-label bound, the fixed buckets,
// and the Prometheus text they render to.
import { describe, expect, it } from 'vitest';
import { GoldenMetrics, GOLDEN_LATENCY_BUCKETS_SECONDS, OTHER_ROUTE, sourceWorkloadOf, statusClassOf } from './golden-metrics.ts';
import type { GoldenRequest, GoldenSeries } from './golden-metrics.ts';
import { goldenMetricsText } from './golden-metrics-text.ts';

const base: GoldenRequest = {
  direction: 'outbound',
  source: 'default/productpage',
  destination: 'default/reviews',
  route: 'default/reviews#api',
  status: 200,
  abandoned: false,
  grpcStatus: null,
  seconds: 0.012,
};

function all(m: GoldenMetrics): GoldenSeries[] {
  return [...m.series()];
}

describe('golden metrics: status class', () => {
  it('classes statuses by their hundred, 101 as 1xx, and abandoned over any status', () => {
    expect([101, 200, 204, 302, 404, 429, 500, 503].map((s) => statusClassOf(s, false))).toEqual(['1xx', '2xx', '2xx', '3xx', '4xx', '4xx', '5xx', '5xx']);
    expect(statusClassOf(200, true)).toBe('abandoned');
    expect(statusClassOf(503, true)).toBe('abandoned');
  });

  it('counts a request the client abandoned under abandoned, not beside the 200s', () => {
    const m = new GoldenMetrics();
    m.record(base);
    m.record({ ...base, abandoned: true, seconds: 3 });
    const byClass = Object.fromEntries(all(m).map((s) => [s.labels.status_class, s.requests]));
    expect(byClass).toEqual({ '2xx': 1, abandoned: 1 });
  });
});

describe('golden metrics: labels', () => {
  it('names gRPC statuses, folds codes outside the spec into UNKNOWN, and leaves plain HTTP empty', () => {
    const m = new GoldenMetrics();
    for (const grpcStatus of [0, 14, 14, 99, null]) m.record({ ...base, grpcStatus });
    const byGrpc = Object.fromEntries(all(m).map((s) => [s.labels.grpc_status, s.requests]));
    expect(byGrpc).toEqual({ OK: 1, UNAVAILABLE: 2, UNKNOWN: 1, '': 1 });
  });

  it('takes the source workload from a verified SPIFFE ID, never from anything the caller merely claims', () => {
    expect(sourceWorkloadOf('spiffe://weft.local/ns/default/sa/productpage')).toBe('default/productpage');
    expect(sourceWorkloadOf('spiffe://weft.local/gateway')).toBe('spiffe://weft.local/gateway');
    expect(sourceWorkloadOf(null)).toBe('unknown');
    expect(sourceWorkloadOf('not a spiffe id')).toBe('unknown');
  });

  it('keeps one series per distinct label set, with every label spelled out', () => {
    const m = new GoldenMetrics();
    m.record(base);
    m.record(base);
    m.record({ ...base, direction: 'inbound' });
    m.record({ ...base, status: 503 });
    expect(all(m).map((s) => ({ ...s.labels, requests: s.requests }))).toEqual([
      { direction: 'outbound', source: 'default/productpage', destination: 'default/reviews', route: 'default/reviews#api', status_class: '2xx', grpc_status: '', requests: 2 },
      { direction: 'outbound', source: 'default/productpage', destination: 'default/reviews', route: 'default/reviews#api', status_class: '5xx', grpc_status: '', requests: 1 },
      { direction: 'inbound', source: 'default/productpage', destination: 'default/reviews', route: 'default/reviews#api', status_class: '2xx', grpc_status: '', requests: 1 },
    ]);
  });
});

describe('golden metrics: route-label bound', () => {
  it('admits at most maxRouteLabels routes per destination; the rest count as other', () => {
    const m = new GoldenMetrics({ maxRouteLabels: () => 2 });
    for (const rule of ['a', 'b', 'c', 'd', 'a', 'c']) m.record({ ...base, route: `default/reviews#${rule}` });
    // Another destination has its own allowance.
    m.record({ ...base, destination: 'default/ratings', route: 'default/ratings#x' });
    const routes = all(m).map((s) => [s.labels.destination, s.labels.route, s.requests]);
    expect(routes).toEqual([
      ['default/reviews', 'default/reviews#a', 2],
      ['default/reviews', 'default/reviews#b', 1],
      ['default/reviews', OTHER_ROUTE, 3],
      ['default/ratings', 'default/ratings#x', 1],
    ]);
  });

  it('shares the allowance across sources and directions, and never spends it on the no-route label', () => {
    const m = new GoldenMetrics({ maxRouteLabels: () => 1 });
    m.record({ ...base, route: '' });
    m.record({ ...base, route: 'default/reviews#a' });
    m.record({ ...base, direction: 'inbound', source: 'default/details', route: 'default/reviews#b' });
    expect(all(m).map((s) => s.labels.route)).toEqual(['', 'default/reviews#a', OTHER_ROUTE]);
  });

  it('reads a lowered bound for routes not yet admitted; those already counted keep their label', () => {
    let max = 3;
    const m = new GoldenMetrics({ maxRouteLabels: () => max });
    m.record({ ...base, route: 'default/reviews#a' });
    m.record({ ...base, route: 'default/reviews#b' });
    max = 1;
    m.record({ ...base, route: 'default/reviews#c' });
    m.record({ ...base, route: 'default/reviews#b' });
    expect(all(m).map((s) => [s.labels.route, s.requests])).toEqual([
      ['default/reviews#a', 1],
      ['default/reviews#b', 2],
      [OTHER_ROUTE, 1],
    ]);
  });
});

describe('golden metrics: latency', () => {
  it('uses the documented buckets, 5 ms to 10 s', () => {
    expect(GOLDEN_LATENCY_BUCKETS_SECONDS).toEqual([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);
  });

  it('puts each latency in the first bucket whose bound holds it (le is inclusive) and counts a WebSocket without one', () => {
    const m = new GoldenMetrics();
    for (const seconds of [0.001, 0.005, 0.0051, 2, 30]) m.record({ ...base, seconds });
    m.record({ ...base, status: 101, seconds: Number.NaN });
    const [ok, ws] = all(m) as [GoldenSeries, GoldenSeries];
    expect([...ok.buckets]).toEqual([2, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1]);
    expect(ok.count).toBe(5);
    expect(ok.sum).toBeCloseTo(32.0111, 6);
    expect(ws.labels.status_class).toBe('1xx');
    expect([ws.requests, ws.count]).toEqual([1, 0]);
  });
});

describe('golden metrics: Prometheus text', () => {
  it('renders the counter and a cumulative histogram with the same labels, in a fixed order', () => {
    const m = new GoldenMetrics();
    m.record({ ...base, seconds: 0.02 });
    m.record({ ...base, seconds: 0.2 });
    m.record({ ...base, status: 101, seconds: Number.NaN });
    const text = goldenMetricsText(m);
    const labels = 'direction="outbound",source="default/productpage",destination="default/reviews",route="default/reviews#api",status_class="2xx",grpc_status=""';
    const lines = text.split('\n');
    expect(lines.slice(0, 2)).toEqual([expect.stringMatching(/^# HELP weft_requests_total /), '# TYPE weft_requests_total counter']);
    expect(lines).toContain(`weft_requests_total{${labels}} 2`);
    expect(lines).toContain(`weft_requests_total{${labels.replace('2xx', '1xx')}} 1`);
    expect(lines).toContain('# TYPE weft_request_duration_seconds histogram');
    expect(lines).toContain(`weft_request_duration_seconds_bucket{${labels},le="0.01"} 0`);
    expect(lines).toContain(`weft_request_duration_seconds_bucket{${labels},le="0.025"} 1`);
    expect(lines).toContain(`weft_request_duration_seconds_bucket{${labels},le="0.25"} 2`);
    expect(lines).toContain(`weft_request_duration_seconds_bucket{${labels},le="+Inf"} 2`);
    expect(lines).toContain(`weft_request_duration_seconds_count{${labels}} 2`);
    // The WebSocket has no latency: no histogram series at all for it.
    expect(lines.filter((l) => l.includes('1xx') && l.startsWith('weft_request_duration'))).toEqual([]);
  });

  it('escapes quotes, backslashes and newlines in label values', () => {
    const m = new GoldenMetrics();
    m.record({ ...base, route: 'default/"q\\"#b\n' });
    expect(goldenMetricsText(m)).toContain('route="default/\\"q\\\\\\"#b\\n"');
  });
});
