// Trace context for each hop: continue the caller's trace with a new span id, or start one
// (the W3C rules of core/http/traceparent.ts: a valid parent keeps its trace id and sampled
// flag, anything else starts an unsampled trace). Ids come from core's pooled generator.
import { newSpanId, newTraceId, parseTraceparent } from '../../core/http/traceparent.ts';
import type { IncomingMessage } from 'node:http';

export interface HopTrace {
  /** The traceparent to send on: `00-<traceId>-<spanId>-<flags>`. */
  traceparent: string;
  traceId: string;
  /** This hop's span id. */
  spanId: string;
  /** The caller's span id, or null when the trace starts here. */
  parentSpanId: string | null;
}

/** This hop's trace: the caller's trace continued, or a new (unsampled) one, with the traceparent to send on. */
export function nextTraceparent(req: IncomingMessage): HopTrace {
  const incoming = req.headers.traceparent;
  if (typeof incoming === 'string') {
    const parent = parseTraceparent(incoming);
    if (parent) {
      const spanId = newSpanId();
      return { traceparent: `00-${parent.traceId}-${spanId}-${parent.flags & 1 ? '01' : '00'}`, traceId: parent.traceId, spanId, parentSpanId: parent.spanId };
    }
  }
  const traceId = newTraceId();
  const spanId = newSpanId();
  return { traceparent: `00-${traceId}-${spanId}-00`, traceId, spanId, parentSpanId: null };
}
