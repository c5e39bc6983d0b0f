import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { describe, expect, it } from 'vitest';
import { otlpHttpJsonExporter, otlpTracesUrl, parseOtlpHeaders } from '../../core/telemetry/otlp-exporter.ts';
import { createRequestTracer, InMemorySpanExporter, serviceResource } from '../../core/telemetry/request-tracer.ts';
import type { SpanExporter } from '../../core/telemetry/request-tracer.ts';
import { nonRecordingChildSpan, remoteParentContext, traceparentOf } from '../../core/telemetry/trace-context.ts';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';
const resource = serviceResource('weft-test');
const headers = (h: Record<string, string>) => new Headers(h);

describe('request tracer', () => {
  it('continues the caller’s trace: same trace id, the caller as parent, a new span id', async () => {
    const exporter = new InMemorySpanExporter();
    const rt = createRequestTracer({ exporter, resource, scope: 'weft-test' });
    const parent = remoteParentContext(headers({ traceparent: `00-${TRACE}-${PARENT}-01`, tracestate: 'vendor=x' }));
    const server = rt.tracer.startSpan('gateway.request', { kind: SpanKind.SERVER, attributes: { 'http.request.method': 'GET' } }, parent);
    const sc = server.spanContext();
    expect(sc.traceId).toBe(TRACE);
    expect(sc.spanId).not.toBe(PARENT);
    expect(traceparentOf(sc)).toBe(`00-${TRACE}-${sc.spanId}-01`);
    expect(sc.traceState?.get('vendor')).toBe('x');
    const client = rt.tracer.startSpan('upstream', { kind: SpanKind.CLIENT }, trace.setSpan(parent, server));
    client.end();
    server.setStatus({ code: SpanStatusCode.ERROR });
    server.end();
    expect(exporter.getFinishedSpans()).toHaveLength(0); // nothing leaves before flush

    expect(await rt.flush()).toEqual({ ok: true, spans: 2 });
    const [c, s] = exporter.getFinishedSpans();
    expect(s?.name).toBe('gateway.request');
    expect(s?.kind).toBe(SpanKind.SERVER);
    expect(s?.parentSpanContext?.spanId).toBe(PARENT);
    expect(s?.resource.attributes['service.name']).toBe('weft-test');
    expect(s?.instrumentationScope.name).toBe('weft-test');
    expect(c?.parentSpanContext?.spanId).toBe(sc.spanId);
    expect(await rt.flush()).toEqual({ ok: true, spans: 0 });
    expect(exporter.getFinishedSpans()).toHaveLength(2);
  });

  it('starts a sampled trace without (or with an invalid) traceparent', async () => {
    const exporter = new InMemorySpanExporter();
    const rt = createRequestTracer({ exporter, resource, scope: 'weft-test' });
    const span = rt.tracer.startSpan('gateway.request', {}, remoteParentContext(headers({ traceparent: `00-${'0'.repeat(32)}-${PARENT}-01` })));
    expect(span.spanContext().traceId).not.toBe('0'.repeat(32));
    expect(traceparentOf(span.spanContext())).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    span.end();
    expect((await rt.flush()).spans).toBe(1);
    expect(exporter.getFinishedSpans()[0]?.parentSpanContext).toBeUndefined();
  });

  it('follows a caller’s “not sampled”: a new span id upstream, nothing exported', async () => {
    const exporter = new InMemorySpanExporter();
    const rt = createRequestTracer({ exporter, resource, scope: 'weft-test' });
    const span = rt.tracer.startSpan('gateway.request', {}, remoteParentContext(headers({ traceparent: `00-${TRACE}-${PARENT}-00` })));
    expect(span.isRecording()).toBe(false);
    expect(traceparentOf(span.spanContext())).toMatch(new RegExp(`^00-${TRACE}-(?!${PARENT})[0-9a-f]{16}-00$`));
    span.end();
    expect(await rt.flush()).toEqual({ ok: true, spans: 0 });
  });

  it('reports a failing or throwing exporter, never throws', async () => {
    const failing: SpanExporter = { export: (_s, cb) => cb({ code: ExportResultCode.FAILED, error: new Error('collector said no') }), shutdown: async () => {} };
    const a = createRequestTracer({ exporter: failing, resource, scope: 'weft-test' });
    a.tracer.startSpan('x').end();
    expect(await a.flush()).toMatchObject({ ok: false, spans: 1, error: { message: 'collector said no' } });
    const throwing: SpanExporter = {
      export: () => {
        throw new Error('boom');
      },
      shutdown: async () => {},
    };
    const b = createRequestTracer({ exporter: throwing, resource, scope: 'weft-test' });
    b.tracer.startSpan('x').end();
    expect(await b.flush()).toMatchObject({ ok: false, error: { message: 'boom' } });
  });
});

describe('trace-context helpers', () => {
  it('a non-recording child keeps the trace and the sampled flag, with a new span id', () => {
    const span = nonRecordingChildSpan(headers({ traceparent: `00-${TRACE}-${PARENT}-01` }));
    expect(span.isRecording()).toBe(false);
    expect(traceparentOf(span.spanContext())).toMatch(new RegExp(`^00-${TRACE}-(?!${PARENT})[0-9a-f]{16}-01$`));
    expect(traceparentOf(nonRecordingChildSpan(headers({})).spanContext())).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
  });
});

describe('OTLP/HTTP JSON exporter', () => {
  it('appends /v1/traces to the endpoint and parses OTEL_EXPORTER_OTLP_HEADERS', () => {
    expect(otlpTracesUrl('http://127.0.0.1:4318')).toBe('http://127.0.0.1:4318/v1/traces');
    expect(otlpTracesUrl('https://otel.example.com/base/')).toBe('https://otel.example.com/base/v1/traces');
    expect(() => otlpTracesUrl('ftp://x')).toThrow(/http/);
    expect(() => otlpTracesUrl('not a url')).toThrow();
    expect(parseOtlpHeaders('x-api-key=abc%3D,team = edge')).toEqual({ 'x-api-key': 'abc=', team: 'edge' });
    expect(parseOtlpHeaders(undefined)).toEqual({});
  });

  it('POSTs the OTLP JSON body: resource, scope, hex ids, unix-nano strings, OTLP kind numbers', async () => {
    const got: { path: string; type: string; auth: string; body: string }[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        got.push({ path: req.url ?? '', type: req.headers['content-type'] ?? '', auth: String(req.headers['x-api-key']), body });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as AddressInfo).port;
      const exporter = otlpHttpJsonExporter({ endpoint: `http://127.0.0.1:${port}`, headers: { 'x-api-key': 'k' } });
      const rt = createRequestTracer({ exporter, resource: serviceResource('weft-gateway'), scope: 'weft-gateway' });
      const span = rt.tracer.startSpan('gateway.request', { kind: SpanKind.SERVER, attributes: { 'http.response.status_code': 502 } }, remoteParentContext(headers({ traceparent: `00-${TRACE}-${PARENT}-01` })));
      span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
      expect(await rt.flush()).toEqual({ ok: true, spans: 1 });
      expect(got).toHaveLength(1);
      expect(got[0]).toMatchObject({ path: '/v1/traces', type: 'application/json', auth: 'k' });
      const body = JSON.parse(got[0]?.body ?? '{}');
      const rs = body.resourceSpans[0];
      expect(rs.resource.attributes).toContainEqual({ key: 'service.name', value: { stringValue: 'weft-gateway' } });
      const ss = rs.scopeSpans[0];
      expect(ss.scope.name).toBe('weft-gateway');
      const s = ss.spans[0];
      expect(s).toMatchObject({ traceId: TRACE, parentSpanId: PARENT, name: 'gateway.request', kind: 2, status: { code: 2 } });
      expect(s.spanId).toMatch(/^[0-9a-f]{16}$/);
      expect(s.startTimeUnixNano).toMatch(/^\d{19}$/);
      expect(BigInt(s.endTimeUnixNano)).toBeGreaterThanOrEqual(BigInt(s.startTimeUnixNano));
      expect(s.attributes).toContainEqual({ key: 'http.response.status_code', value: { intValue: 502 } });
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
