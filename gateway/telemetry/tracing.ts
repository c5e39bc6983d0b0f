// The gateway's tracing runtime. With `OTEL_EXPORTER_OTLP_ENDPOINT` set, each request gets its
// own tracer (core/telemetry/request-tracer.ts) and its spans go to the collector in one
// OTLP/HTTP JSON POST after the response, inside `ctx.waitUntil`: the export never delays the
// response, and a failure is logged (at most one line a minute per isolate), never thrown.
// Without it the request's span is non-recording: no SDK, no exporter, only the new span id
// the upstream traceparent needs.
import { SpanKind } from '@opentelemetry/api';
import type { Attributes, Span } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import { otlpHttpJsonExporter, parseOtlpHeaders } from '../../core/telemetry/otlp-exporter.ts';
import { createRequestTracer, serviceResource } from '../../core/telemetry/request-tracer.ts';
import type { RequestTracer, SpanExporter } from '../../core/telemetry/request-tracer.ts';
import { nonRecordingChildSpan, remoteParentContext, traceparentOf } from '../../core/telemetry/trace-context.ts';
import type { HeaderView } from '../../core/telemetry/trace-context.ts';
import type { GatewayEnv } from '../env.ts';

export const SERVICE_NAME = 'weft-gateway';
const LOG_EVERY_MS = 60_000;

/** The exporter for the configured endpoint, built once per isolate (null: tracing off or misconfigured). */
let configured: { key: string; exporter: SpanExporter | null } | undefined;
let resource: Resource | undefined;

let lastWarnAt = -Infinity;
let suppressedWarnings = 0;

function warn(event: string, fields: Record<string, unknown>): void {
  const now = Date.now();
  if (now - lastWarnAt < LOG_EVERY_MS) {
    suppressedWarnings++;
    return;
  }
  console.warn(JSON.stringify({ component: 'gateway.telemetry', level: 'warn', event, ...fields, suppressedSinceLast: suppressedWarnings }));
  lastWarnAt = now;
  suppressedWarnings = 0;
}

function exporterFor(env: GatewayEnv): SpanExporter | null {
  const endpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  if (!endpoint) return null;
  const key = `${endpoint}\n${env.OTEL_EXPORTER_OTLP_HEADERS ?? ''}`;
  if (configured?.key !== key) {
    try {
      configured = { key, exporter: otlpHttpJsonExporter({ endpoint, headers: parseOtlpHeaders(env.OTEL_EXPORTER_OTLP_HEADERS) }) };
    } catch (e) {
      configured = { key, exporter: null };
      console.error(JSON.stringify({ component: 'gateway.telemetry', level: 'error', event: 'otlp_config_invalid', message: `tracing is off: ${(e as Error).message}` }));
    }
  }
  return configured.exporter;
}

/** One request's SERVER span, the traceparent that continues the trace upstream, and (when recording) its tracer. */
export interface ServerSpan {
  readonly span: Span;
  readonly traceparent: string;
  readonly tracer: RequestTracer | null;
}

/** Starts the request's SERVER span as a child of the caller's traceparent (or a new trace's root). */
export function startServerSpan(headers: HeaderView, env: GatewayEnv, name: string): ServerSpan {
  const exporter = exporterFor(env);
  if (!exporter) {
    const span = nonRecordingChildSpan(headers);
    return { span, traceparent: traceparentOf(span.spanContext()), tracer: null };
  }
  resource ??= serviceResource(SERVICE_NAME);
  const tracer = createRequestTracer({ exporter, resource, scope: SERVICE_NAME });
  const span = tracer.tracer.startSpan(name, { kind: SpanKind.SERVER }, remoteParentContext(headers));
  return { span, traceparent: traceparentOf(span.spanContext()), tracer };
}

/** Ends the span and exports this request's spans after the response (never awaited here). */
export function endServerSpan(s: ServerSpan, attributes: Attributes, ctx: ExecutionContext): void {
  if (!s.span.isRecording()) {
    s.span.end();
    return;
  }
  s.span.setAttributes(attributes);
  s.span.end();
  const tracer = s.tracer;
  if (!tracer) return;
  ctx.waitUntil(
    tracer.flush().then(
      (r) => {
        if (!r.ok) warn('span_export_failed', { spans: r.spans, message: r.error.message });
      },
      (e: unknown) => warn('span_export_failed', { message: String(e) }),
    ),
  );
}
