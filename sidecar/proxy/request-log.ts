// What one request did, filled in as it moves through the proxy and handed to the observer
// (access log, metrics) once the response has ended.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AccessLogEntry, Direction, ProxyObserver } from '../types.ts';
import type { PropagatedTrace } from '../../core/http/traceparent.ts';

export function startEntry(direction: Direction, req: IncomingMessage, authority: string, path: string): AccessLogEntry {
  return {
    direction,
    method: req.method ?? 'GET',
    authority,
    path,
    route: null,
    service: null,
    status: 0,
    latencyMs: 0,
    upstream: null,
    peer: null,
    principal: null,
    traceId: null,
    retries: 0,
    reason: null,
  };
}

/** Reports the entry when the response is done (finished or cut off). */
export function reportWhenDone(observer: ProxyObserver, entry: AccessLogEntry, res: ServerResponse, startedAt: number): void {
  // 'close' fires once per response; `on` spares the once-wrapper.
  res.on('close', () => {
    entry.status = res.statusCode;
    entry.latencyMs = Math.round((performance.now() - startedAt) * 1000) / 1000;
    try {
      observer.request(entry);
    } catch {
      // an observer must never break the data path
    }
  });
}

/** The trace of this hop (core's continueTrace): trace id, this hop's span id, the caller's span id. */
export function setTrace(entry: AccessLogEntry, trace: PropagatedTrace): void {
  entry.traceId = trace.traceId;
  entry.spanId = trace.spanId;
  entry.parentSpanId = trace.parentSpanId;
}

/** A header of a Node request as one string (repeated headers joined), or null. */
export function headerOf(req: IncomingMessage, name: string): string | null {
  const v = req.headers[name];
  if (v === undefined) return null;
  return Array.isArray(v) ? v.join(', ') : v;
}

/** `{ get }` over a Node request's headers, as core's matchers and evaluators read them. */
export function headerView(req: IncomingMessage): { get(name: string): string | null } {
  return { get: (name) => headerOf(req, name.toLowerCase()) };
}
