// One JSON line per request: what an operator greps for (route, status, latency, upstream,
// principal, trace id). Never the token, never the API key. Written when the response is
// ready, before the body has streamed. (Deferring it with waitUntil saves nothing: a promise
// callback still runs before workerd takes the response, and a workerd CPU profile shows the
// same cost either way.) A WebSocket's line (101) is written when the socket closes, with how
// long it lived (`latencyMs`), its close code and which side closed it.
import { parseGrpcStatus } from '../../core/grpc/status.ts';
import type { PipelineContext } from '../../core/pipeline/context.ts';
import type { RelayClosed } from './websocket-relay.ts';

const grpcStatusOfHead = (h: Headers): number | null => parseGrpcStatus(h.get('grpc-status')) ?? null;

export function writeAccessLog(c: PipelineContext<Response>, response: Response, socket?: RelayClosed & { at: number }): void {
  const entry: Record<string, unknown> = {
    component: 'gateway.access',
    method: c.request.method,
    host: c.request.host,
    path: c.path || c.request.rawPath,
    route: c.routeLabel,
    status: response.status,
    // A gRPC(-Web) status in the answer's head (the edge's own refusals, trailers-only answers);
    // one in the trailer frame of a streamed body is not read (that would mean parsing the body).
    grpcStatus: grpcStatusOfHead(response.headers),
    latencyMs: (socket?.at ?? Date.now()) - c.startedAt,
    upstream: c.upstream,
    retries: c.retries,
    // A retry the rule asked for that the retry budget (or the deadline) refused: the edge has no metrics, the log is where it shows.
    retryRefused: c.retryRefused,
    principal: c.user?.requestPrincipal ?? null,
    clientIp: c.request.clientIp,
    traceId: c.traceparent.slice(3, 35), // `00-<32 hex trace id>-<span id>-<flags>`, formatted by the gateway itself
    snapshot: c.runtime.version.slice(0, 12),
  };
  if (socket) entry.websocket = { closeCode: socket.code, closedBy: socket.by };
  console.log(JSON.stringify(entry));
}
