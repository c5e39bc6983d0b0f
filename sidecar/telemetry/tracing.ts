// Tracing for the sidecar: with an OTLP endpoint configured, one span per proxied request
// (SERVER inbound, CLIENT outbound) in the request's trace, exported over OTLP/HTTP JSON by the
// same core modules the gateway uses (core/telemetry/request-tracer.ts, otlp-exporter.ts).
// Those modules and the OpenTelemetry SDK are imported only here, and this module only when
// tracing is on (`loadTracing`, a dynamic import), so a sidecar without tracing never loads them.
//
// The data path reports a finished request (AccessLogEntry), so the span is recorded after the
// fact: its start is the end minus the latency, and it joins the trace named by the entry's
// trace id. Only sampled requests are recorded: the caller's sampled flag is followed (a
// traceparent with flags 00 records nothing here), and a trace that starts at this sidecar is
// sampled (`samplesNewTraces`). Spans are batched and exported at most every second (and on
// shutdown).
import { newSpanId, newTraceId } from '../../core/http/traceparent.ts';
import type { AccessLogEntry, ProxyObserver } from '../types.ts';
import { requestObserver } from './fan-out.ts';

export interface TracingOptions {
  endpoint: string;
  /** `OTEL_EXPORTER_OTLP_HEADERS` syntax. */
  headers?: string;
  /** `service.name`, e.g. `weft-sidecar/default/reviews`. */
  serviceName: string;
  log: (entry: Record<string, unknown>) => void;
  flushEveryMs?: number;
}

export interface SidecarTracing {
  readonly observer: ProxyObserver;
  /** Exports what is buffered and stops the timer. */
  shutdown(): Promise<void>;
}

const MAX_BUFFERED_REQUESTS = 2048;

export async function loadTracing(options: TracingOptions): Promise<SidecarTracing> {
  const [{ SpanKind, SpanStatusCode, ROOT_CONTEXT, trace, TraceFlags }, { otlpHttpJsonExporter, parseOtlpHeaders }, { createRequestTracer, serviceResource }] = await Promise.all([
    import('@opentelemetry/api'),
    import('../../core/telemetry/otlp-exporter.ts'),
    import('../../core/telemetry/request-tracer.ts'),
  ]);
  const exporter = otlpHttpJsonExporter({ endpoint: options.endpoint, headers: parseOtlpHeaders(options.headers) });
  const resource = serviceResource(options.serviceName);
  // The span of a hop is recorded under the ids the data path already sent on in traceparent
  // (AccessLogEntry.spanId / parentSpanId), so the app's spans and the next hop's hang under it.
  const ids = {
    nextSpanId: null as string | null,
    nextTraceId: null as string | null,
    generateSpanId(): string {
      const id = this.nextSpanId ?? newSpanId();
      this.nextSpanId = null;
      return id;
    },
    generateTraceId(): string {
      const id = this.nextTraceId ?? newTraceId();
      this.nextTraceId = null;
      return id;
    },
  };
  const newTracer = () => createRequestTracer({ exporter, resource, scope: 'weft-sidecar', idGenerator: ids });
  let current = newTracer();
  let buffered = 0;
  let lastWarn = -Infinity;

  const flush = async () => {
    if (buffered === 0) return;
    const t = current;
    current = newTracer();
    buffered = 0;
    const r = await t.flush();
    if (!r.ok && Date.now() - lastWarn > 60_000) {
      lastWarn = Date.now();
      options.log({ level: 'warn', component: 'sidecar.tracing', event: 'span_export_failed', spans: r.spans, message: r.error.message });
    }
  };
  const timer = setInterval(() => void flush(), options.flushEveryMs ?? 1000);
  timer.unref();

  const record = (entry: AccessLogEntry) => {
    if (entry.sampled === false || buffered >= MAX_BUFFERED_REQUESTS) return;
    const end = Date.now();
    const traceId = entry.traceId && /^[0-9a-f]{32}$/.test(entry.traceId) ? entry.traceId : null;
    // A caller's span is the parent; a trace that started at this hop gets a root span with the
    // trace id the data path sent on.
    const parent =
      traceId && entry.parentSpanId
        ? trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId: entry.parentSpanId, traceFlags: TraceFlags.SAMPLED, isRemote: true })
        : ROOT_CONTEXT;
    ids.nextTraceId = traceId;
    ids.nextSpanId = entry.spanId && /^[0-9a-f]{16}$/.test(entry.spanId) ? entry.spanId : null;
    const span = current.tracer.startSpan(
      `sidecar.${entry.direction}`,
      {
        kind: entry.direction === 'inbound' ? SpanKind.SERVER : SpanKind.CLIENT,
        startTime: end - entry.latencyMs,
        attributes: {
          'http.request.method': entry.method,
          'server.address': entry.authority,
          'url.path': entry.path,
          'http.response.status_code': entry.status,
          ...(entry.route ? { 'http.route': entry.route } : {}),
          ...(entry.service ? { 'weft.service': entry.service } : {}),
          ...(entry.upstream ? { 'weft.upstream': entry.upstream } : {}),
          ...(entry.peer ? { 'weft.peer': entry.peer } : {}),
          ...(entry.principal ? { 'enduser.id': entry.principal } : {}),
          ...(entry.reason ? { 'weft.reason': entry.reason } : {}),
          'weft.retries': entry.retries,
        },
      },
      parent,
    );
    if (entry.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end(end);
    buffered++;
  };

  return {
    // fanOut (and the data path) catch what an observer throws: tracing never fails a request.
    observer: { ...requestObserver(record), samplesNewTraces: true },
    async shutdown() {
      clearInterval(timer);
      await flush();
    },
  };
}
