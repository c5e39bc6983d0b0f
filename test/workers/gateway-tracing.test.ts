// Tracing through the real gateway in workerd: the W3C traceparent continues upstream with the
// gateway's own span as the parent, and that SERVER span reaches a real OTLP/HTTP collector
// (test/support/otlp-collector.ts, on 127.0.0.1) after the response. A collector that is down
// or slow never touches the response.
import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../core/snapshot/canonical-json.ts';
import type { CollectedRequest, CollectedSpan, OtlpSpan } from '../support/otlp-collector.ts';
import { apiService, echo, gw, PORTS, pushPolicy, route } from './gateway-support.ts';

const COLLECTOR = (env as unknown as { OTEL_EXPORTER_OTLP_ENDPOINT: string }).OTEL_EXPORTER_OTLP_ENDPOINT;
const HOST = 'traced.example.com';
const KEY = 'tracing-partner-key';
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-(0[01])$/;

let version: string;

function randomHex(bytes: number): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, '0')).join('');
}

async function collector(path: string): Promise<{ spans: CollectedSpan[]; requests: CollectedRequest[] }> {
  return (await fetch(`${COLLECTOR}${path}`)).json();
}

/** Polls the collector (the export runs in waitUntil, after the response) for a trace's spans. */
async function spansOf(traceId: string, timeoutMs = 10_000): Promise<CollectedSpan[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const found = (await collector('/__spans')).spans.filter((s) => s.traceId === traceId);
    if (found.length > 0 || Date.now() > until) return found;
    await new Promise((r) => setTimeout(r, 50));
  }
}

function attr(span: OtlpSpan, key: string): string | number | boolean | undefined {
  const v = span.attributes.find((a) => a.key === key)?.value;
  if (!v) return undefined;
  if (v.intValue !== undefined) return Number(v.intValue);
  return v.stringValue ?? v.boolValue ?? v.doubleValue;
}

function parse(traceparent: string | undefined): { traceId: string; spanId: string; flags: string } {
  const m = TRACEPARENT.exec(traceparent ?? '');
  if (!m) throw new Error(`not a traceparent: ${traceparent}`);
  return { traceId: m[1] as string, spanId: m[2] as string, flags: m[3] as string };
}

beforeAll(async () => {
  await collector('/__reset');
  version = await pushPolicy(
    apiService(),
    route(
      'traced',
      HOST,
      [
        '    - name: fails',
        '      matches: [{ path: { prefix: /status } }]',
        '      backends: [{ service: api, subset: stable }]',
        '      retries: { attempts: 0 }',
        '    - name: items',
        '      matches: [{ path: { template: "/items/{id}" } }]',
        '      backends: [{ service: api, subset: stable }]',
      ].join('\n'),
    ),
    [
      'apiVersion: weft/v1',
      'kind: Authentication',
      'metadata: { name: traced }',
      'spec:',
      '  targetRefs: [{ kind: Route, name: traced }]',
      '  mode: optional',
      '  apiKeys:',
      `    keys: [{ name: partner, sha256: ${await sha256Hex(KEY)} }]`,
    ].join('\n'),
  );
});

describe('gateway tracing', () => {
  it('continues the caller’s trace upstream with its own span, and exports that SERVER span', async () => {
    const traceId = randomHex(16);
    const callerSpan = randomHex(8);
    const e = await echo(await gw(`https://${HOST}/items/42?q=secret`, { headers: { traceparent: `00-${traceId}-${callerSpan}-01`, 'x-api-key': KEY } }));
    const up = parse(e.headers.traceparent);
    expect(up.traceId).toBe(traceId);
    expect(up.spanId).not.toBe(callerSpan);
    expect(up.flags).toBe('01');

    const [span, ...more] = await spansOf(traceId);
    expect(more).toEqual([]);
    expect(span).toMatchObject({ name: 'gateway.request', kind: 2, traceId, spanId: up.spanId, parentSpanId: callerSpan, serviceName: 'weft-gateway', scopeName: 'weft-gateway' });
    const s = span as CollectedSpan;
    expect(attr(s, 'http.request.method')).toBe('GET');
    expect(attr(s, 'url.path')).toBe('/items/42');
    expect(attr(s, 'url.scheme')).toBe('https');
    expect(attr(s, 'server.address')).toBe(HOST);
    expect(attr(s, 'http.route')).toBe('default/traced#items');
    expect(attr(s, 'http.response.status_code')).toBe(200);
    expect(attr(s, 'weft.snapshot.version')).toBe(version);
    expect(attr(s, 'weft.upstream')).toBe(`127.0.0.1:${PORTS.stable}`);
    expect(attr(s, 'enduser.id')).toBe('apikey/partner');
    expect(s.attributes.some((a) => JSON.stringify(a.value).includes('secret') || JSON.stringify(a.value).includes(KEY))).toBe(false);
    expect(s.status?.code ?? 0).toBe(0);
    const start = BigInt(s.startTimeUnixNano);
    const end = BigInt(s.endTimeUnixNano);
    expect(end >= start).toBe(true);
    expect(Number(start / 1_000_000n)).toBeGreaterThan(Date.now() - 60_000);

    const request = (await collector('/__spans')).requests.find((r) => JSON.stringify(r.body).includes(traceId));
    expect(request).toMatchObject({ path: '/v1/traces', contentType: 'application/json' });
  });

  it('starts a new (sampled) trace without a traceparent; an anonymous user has no enduser.id', async () => {
    const e = await echo(await gw(`https://${HOST}/items/7`));
    const up = parse(e.headers.traceparent);
    expect(up.flags).toBe('01');
    const [span] = await spansOf(up.traceId);
    expect(span).toMatchObject({ kind: 2, spanId: up.spanId });
    expect(span?.parentSpanId ?? '').toBe('');
    expect(attr(span as CollectedSpan, 'enduser.id')).toBeUndefined();
  });

  it('starts a new trace for an invalid traceparent', async () => {
    const e = await echo(await gw(`https://${HOST}/items/8`, { headers: { traceparent: `00-${'0'.repeat(32)}-${randomHex(8)}-01` } }));
    const up = parse(e.headers.traceparent);
    expect(up.traceId).not.toBe('0'.repeat(32));
    expect(await spansOf(up.traceId)).toHaveLength(1);
  });

  it('marks a 5xx answer as an error, and records a 404 without a route', async () => {
    const traceId = randomHex(16);
    const res = await gw(`https://${HOST}/status/503`, { headers: { traceparent: `00-${traceId}-${randomHex(8)}-01` } });
    expect(res.status).toBe(503);
    await res.body?.cancel();
    const [failed] = await spansOf(traceId);
    expect(failed?.status?.code).toBe(2);
    expect(attr(failed as CollectedSpan, 'http.response.status_code')).toBe(503);
    expect(attr(failed as CollectedSpan, 'error.type')).toBe('503');
    expect(attr(failed as CollectedSpan, 'http.route')).toBe('default/traced#fails');

    const missing = randomHex(16);
    const none = await gw(`https://${HOST}/nothing`, { headers: { traceparent: `00-${missing}-${randomHex(8)}-01` } });
    expect(none.status).toBe(404);
    await none.body?.cancel();
    const [notFound] = await spansOf(missing);
    expect(attr(notFound as CollectedSpan, 'http.response.status_code')).toBe(404);
    expect(attr(notFound as CollectedSpan, 'http.route')).toBeUndefined();
    expect(notFound?.status?.code ?? 0).toBe(0);
  });

  it('follows a caller’s “not sampled”: a new span id upstream, nothing exported', async () => {
    const traceId = randomHex(16);
    const callerSpan = randomHex(8);
    const up = parse((await echo(await gw(`https://${HOST}/items/9`, { headers: { traceparent: `00-${traceId}-${callerSpan}-00` } }))).headers.traceparent);
    expect(up).toMatchObject({ traceId, flags: '00' });
    expect(up.spanId).not.toBe(callerSpan);
    // A sampled request sent after it is exported; by then the unsampled one would have been too.
    const marker = randomHex(16);
    await echo(await gw(`https://${HOST}/items/10`, { headers: { traceparent: `00-${marker}-${randomHex(8)}-01` } }));
    expect(await spansOf(marker)).toHaveLength(1);
    expect(await spansOf(traceId, 200)).toEqual([]);
  });

  it('answers the same while the collector is down', async () => {
    try {
      await collector('/__down');
      const down = await echo(await gw(`https://${HOST}/items/11`, { headers: { traceparent: `00-${randomHex(16)}-${randomHex(8)}-01` } }));
      expect(down.upstream).toBe('stable');
      expect(down.headers.traceparent).toMatch(TRACEPARENT);
    } finally {
      await collector('/__up');
    }
    // Back up: spans flow again.
    const traceId = randomHex(16);
    await echo(await gw(`https://${HOST}/items/13`, { headers: { traceparent: `00-${traceId}-${randomHex(8)}-01` } }));
    expect(await spansOf(traceId)).toHaveLength(1);
  });
});
