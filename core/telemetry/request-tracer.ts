// One request's tracing, for a proxy that answers many requests at once in one process (a
// Worker isolate, a sidecar): a tracer (@opentelemetry/sdk-trace, pure JS) whose ended,
// sampled spans wait in this request's own buffer until `flush()` hands them to the exporter
// in one batch. No timers and nothing shared between requests, so the adapter decides when
// the export runs (the gateway: after the response, in `ctx.waitUntil`). The exporter is
// pluggable: any SDK `SpanExporter` (OTLP/HTTP JSON in otlp-exporter.ts, in-memory in tests).
import { TraceFlags } from '@opentelemetry/api';
import type { Tracer } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import type { Resource } from '@opentelemetry/resources';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import type { IdGenerator, ReadableSpan, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace';

export type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
export { InMemorySpanExporter } from '@opentelemetry/sdk-trace';

/** The telemetry resource of a service: its `service.name` and the SDK's own attributes. */
export function serviceResource(serviceName: string): Resource {
  return defaultResource().merge(resourceFromAttributes({ 'service.name': serviceName }));
}

/** What one flush did; it never throws. */
export type FlushResult = { ok: true; spans: number } | { ok: false; spans: number; error: Error };

export interface RequestTracer {
  /** Spans of this request; parents are passed as an explicit Context (no context manager). */
  readonly tracer: Tracer;
  /** Exports the spans ended so far in one batch and forgets them. */
  flush(): Promise<FlushResult>;
}

/** Keeps this request's ended, sampled spans until flushed. */
class RequestSpanBuffer implements SpanProcessor {
  spans: ReadableSpan[] = [];
  onStart(): void {}
  onEnd(span: ReadableSpan): void {
    if (span.spanContext().traceFlags & TraceFlags.SAMPLED) this.spans.push(span);
  }
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

function exportBatch(exporter: SpanExporter, spans: ReadableSpan[]): Promise<FlushResult> {
  return new Promise((resolve) => {
    try {
      exporter.export(spans, (result) => {
        if (result.code === ExportResultCode.SUCCESS) resolve({ ok: true, spans: spans.length });
        else resolve({ ok: false, spans: spans.length, error: result.error ?? new Error('span export failed') });
      });
    } catch (e) {
      resolve({ ok: false, spans: spans.length, error: e instanceof Error ? e : new Error(String(e)) });
    }
  });
}

/**
 * A tracer for one request. Sampling is the SDK default: a trace that starts here is sampled,
 * a caller's decision (its sampled flag) is followed. `idGenerator` lets a proxy record a span
 * under the ids it already sent upstream in `traceparent`.
 */
export function createRequestTracer(options: { exporter: SpanExporter; resource: Resource; scope: string; scopeVersion?: string; idGenerator?: IdGenerator }): RequestTracer {
  const buffer = new RequestSpanBuffer();
  const provider = new TracerProvider({ resource: options.resource, spanProcessors: [buffer], ...(options.idGenerator ? { idGenerator: options.idGenerator } : {}) });
  const tracer = provider.getTracer(options.scope, options.scopeVersion);
  return {
    tracer,
    flush(): Promise<FlushResult> {
      const spans = buffer.spans;
      buffer.spans = [];
      if (spans.length === 0) return Promise.resolve({ ok: true, spans: 0 });
      return exportBatch(options.exporter, spans);
    },
  };
}
