// The access-log line is built by hand on the hot path; it must be byte for byte what
// JSON.stringify gives for the same entry (field order, escaping, nulls, numbers).
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { accessLogLine, createLineWriter } from '../../sidecar/telemetry/access-log.ts';
import type { AccessLogEntry } from '../../sidecar/types.ts';

const base: AccessLogEntry = {
  direction: 'outbound',
  method: 'GET',
  authority: 'reviews.default:9080',
  path: '/api/items',
  route: 'default/reviews#api',
  service: 'default/reviews',
  status: 200,
  grpcStatus: null,
  protocol: 'HTTP/1.1',
  latencyMs: 0.423,
  upstream: '[::1]:8080',
  peer: 'spiffe://weft.local/ns/default/sa/ratings',
  principal: 'https://idp.example/alice',
  traceId: '0af7651916cd43dd8448eb211c80319c',
  retries: 1,
  retryRefused: null,
  reason: null,
  abandoned: false,
};

describe('access-log line', () => {
  it('equals JSON.stringify of { time, component, ...entry } for plain and awkward values', () => {
    const time = new Date().toISOString();
    const entries: AccessLogEntry[] = [
      base,
      { ...base, grpcStatus: 14, protocol: 'HTTP/2' },
      { ...base, status: 504, retryRefused: 'deadline', reason: 'upstream_timeout' },
      { ...base, reason: 'client_closed', abandoned: true },
      { ...base, route: null, service: null, upstream: null, peer: null, principal: null, traceId: null, reason: 'no_route', status: 502, latencyMs: 12 },
      { ...base, path: '/a"b\\c\u0001\n\u007f/é/日本/\ud800', authority: 'x\ty', method: 'PATCH', principal: 'apikey/"quoted"' },
      { ...base, latencyMs: Number.NaN, direction: 'inbound' },
    ];
    for (const e of entries) {
      const line = accessLogLine(e, time);
      expect(line).toBe(`${JSON.stringify({ time, component: 'sidecar.access', ...e })}\n`);
      expect(JSON.parse(line)).toMatchObject({ component: 'sidecar.access', path: e.path });
    }
  });

  it('writes every line, batched, and all of it on flush', async () => {
    const out = new PassThrough();
    const chunks: string[] = [];
    out.on('data', (c: Buffer) => chunks.push(c.toString('utf8')));
    const w = createLineWriter(out, { flushMs: 5 });
    for (let i = 0; i < 1000; i++) w.write(accessLogLine({ ...base, retries: i }));
    await w.flush();
    const lines = chunks.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { retries: number });
    expect(lines.map((l) => l.retries)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(chunks.length).toBeLessThan(1000);
  });
});
