// What one request did, for the observer (access log, metrics): read from the pipeline's
// context when the response has ended (finished or cut off).
import type { PipelineContext } from '../../core/pipeline/context.ts';
import type { PropagatedTrace } from '../../core/http/traceparent.ts';
import { cutBySidecar, sentGrpcStatus } from './forward.ts';
import type { DownstreamRequest, DownstreamResponse } from './front-door.ts';
import type { AccessLogEntry, Direction, ProxyObserver } from '../types.ts';

export interface EntrySource {
  /** The context once the stages run; before that, the reason the sidecar answered itself. */
  c?: PipelineContext<void>;
  reason?: string;
  authority: string;
  path: string;
  trace?: PropagatedTrace;
}

/**
 * Whether the response went out whole: 'finish' fired, and on HTTP/2 the stream was not reset
 * (the compatibility response fires 'finish' on a stream the client cancelled too).
 */
function sentWhole(res: DownstreamResponse, finished: boolean): boolean {
  return finished && (res as { stream?: { aborted?: boolean } }).stream?.aborted !== true;
}

function entryOf(direction: Direction, req: DownstreamRequest, res: DownstreamResponse, latencyMs: number, finished: boolean, s: EntrySource): AccessLogEntry {
  const c = s.c;
  return {
    direction,
    method: req.method ?? 'GET',
    authority: s.authority,
    path: c?.path || s.path,
    route: c?.routeLabel ?? null,
    service: c ? (direction === 'outbound' ? (c.backend?.service.id ?? c.service) : c.service) : null,
    status: res.statusCode,
    grpcStatus: sentGrpcStatus(res),
    protocol: req.httpVersionMajor === 2 ? 'HTTP/2' : `HTTP/${req.httpVersion}`,
    latencyMs,
    upstream: c?.upstream ?? null,
    peer: c?.peer ?? null,
    principal: c?.user?.requestPrincipal ?? null,
    traceId: s.trace?.traceId ?? null,
    spanId: s.trace?.spanId ?? null,
    parentSpanId: s.trace?.parentSpanId ?? null,
    sampled: s.trace?.sampled ?? null,
    retries: c?.retries ?? 0,
    retryRefused: c?.retryRefused ?? null,
    reason: c?.reason ?? s.reason ?? null,
    // Closed before it ended, and not by the sidecar: the client went away. A WebSocket's 101 ends by closing.
    abandoned: !sentWhole(res, finished) && res.statusCode !== 101 && !cutBySidecar(res),
  };
}

/** Reports the request's entry when the response is done ('close' fires once per response; 'finish' before it once the response was written out, see sentWhole). */
export function reportWhenDone(direction: Direction, observer: ProxyObserver, req: DownstreamRequest, res: DownstreamResponse, source: EntrySource): void {
  const startedAt = performance.now();
  let finished = false;
  res.on('finish', () => {
    finished = true;
  });
  res.on('close', () => {
    try {
      observer.request(entryOf(direction, req, res, Math.round((performance.now() - startedAt) * 1000) / 1000, finished, source));
    } catch {
      // an observer must never break the data path
    }
  });
}
