// Trace-context helpers on @opentelemetry/api: the caller's W3C traceparent (parsed by
// core/http/traceparent.ts) as an OpenTelemetry remote parent, a span's context as the
// traceparent to send on, and a span that records nothing but still has a span id of its own,
// for when no exporter is configured (the trace still continues through us, at no cost).
import { createTraceState, ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import type { Context, Span, SpanContext } from '@opentelemetry/api';
import { continueTrace, formatTraceparent, parseTraceparent } from '../http/traceparent.ts';

/** What these helpers read from a request: `Headers`, or any view with `get`. */
export interface HeaderView {
  get(name: string): string | null;
}

/**
 * The caller's span as the remote parent of ours, or ROOT_CONTEXT when the traceparent is
 * absent or invalid (a new trace starts). Only the sampled flag is carried (Level 1); the
 * caller's tracestate travels with a valid traceparent only.
 */
export function remoteParentContext(headers: HeaderView): Context {
  const parent = parseTraceparent(headers.get('traceparent'));
  if (!parent) return ROOT_CONTEXT;
  const tracestate = headers.get('tracestate')?.trim();
  const spanContext: SpanContext = {
    traceId: parent.traceId,
    spanId: parent.spanId,
    traceFlags: parent.flags & TraceFlags.SAMPLED,
    isRemote: true,
    ...(tracestate ? { traceState: createTraceState(tracestate) } : {}),
  };
  return trace.setSpanContext(ROOT_CONTEXT, spanContext);
}

/** The traceparent that continues the trace with this span as the parent. */
export function traceparentOf(spanContext: SpanContext): string {
  return formatTraceparent({ traceId: spanContext.traceId, spanId: spanContext.spanId, flags: spanContext.traceFlags & TraceFlags.SAMPLED });
}

/**
 * A non-recording span with a new span id, in the caller's trace (or a new one): what the
 * gateway uses when nothing exports. A trace that starts here is not sampled, since nobody
 * records it; a caller's sampled flag is kept.
 */
export function nonRecordingChildSpan(headers: HeaderView): Span {
  const t = continueTrace(headers);
  return trace.wrapSpanContext({ traceId: t.traceId, spanId: t.spanId, traceFlags: t.sampled ? TraceFlags.SAMPLED : TraceFlags.NONE });
}
