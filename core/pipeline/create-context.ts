// A fresh context for one request. Inbound requests target this workload's Service from the
// start (policies attached to it apply to every call); a matched route adds its own target.
import { isWebSocketUpgrade } from '../http/websocket-upgrade.ts';
import type { SnapshotRuntime } from '../runtime/snapshot-runtime.ts';
import type { MutableHeaders, PipelineContext, Plane, RequestView } from './context.ts';
import type { PlanePieces } from './pieces.ts';

export function createContext<R>(args: {
  plane: Plane;
  runtime: SnapshotRuntime;
  request: RequestView;
  pieces: PlanePieces<R>;
  upstreamHeaders: MutableHeaders;
  traceparent: string;
  startedAt: number;
  /** Inbound: this workload's service id. */
  service?: string;
}): PipelineContext<R> {
  const service = args.service ?? null;
  return {
    plane: args.plane,
    runtime: args.runtime,
    request: args.request,
    pieces: args.pieces,
    startedAt: args.startedAt,
    upgrade: isWebSocketUpgrade(args.request.method, args.request.upgrade) ? 'websocket' : null,
    traceparent: args.traceparent,
    path: '',
    service,
    routeLabel: null,
    targets: args.plane === 'inbound' && service !== null ? [{ kind: 'Service', id: service }] : [],
    peer: null,
    maxRequestBytes: null,
    upstreamHeaders: args.upstreamHeaders,
    upstreamPath: '',
    upstreamHost: null,
    responseHeaders: [],
    upstream: null,
    retries: 0,
    retryRefused: null,
    reason: null,
  };
}
