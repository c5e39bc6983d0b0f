// The gateway adapter: the Worker's Request becomes core's request view and context, core's
// edge stages decide (core/pipeline/pipelines.ts), and the answer (a stage's, written as
// core renders it, or the upstream's Response) gets the rule's response headers, the CORS and rate-limit headers,
// and one JSON access-log line; the request's span (trace.ts) ends, and is exported after
// the response.
import { stripUntrusted } from '../../core/http/header-ops.ts';
import { edgeListenerPort } from '../../core/http/listener-port.ts';
import { renderAnswer } from '../../core/pipeline/answer.ts';
import type { Answer } from '../../core/pipeline/answer.ts';
import type { PipelineContext, RequestView } from '../../core/pipeline/context.ts';
import { createContext } from '../../core/pipeline/create-context.ts';
import { EDGE_STAGES, runStages } from '../../core/pipeline/pipelines.ts';
import type { SnapshotRuntime } from '../../core/runtime/snapshot-runtime.ts';
import type { GatewayEnv } from '../env.ts';
import { writeAccessLog } from './access-log.ts';
import { EdgePieces } from './edge-pieces.ts';
import { finishResponse } from './response-headers.ts';
import { endRequestSpan, startRequestSpan } from './trace.ts';

function untrustedStripped(headers: Headers): Headers {
  const copy = new Headers(headers);
  stripUntrusted(copy);
  return copy;
}

/** The raw request path, exactly as sent: before any URL parser could "fix" it. */
function rawPathOf(url: string): string {
  const afterScheme = url.indexOf('//') + 2;
  const slash = url.indexOf('/', afterScheme);
  if (slash < 0) return '/';
  const end = url.slice(slash).search(/[?#]/);
  return end < 0 ? url.slice(slash) : url.slice(slash, slash + end);
}

function requestView(request: Request, url: URL, env: GatewayEnv): RequestView {
  const scheme = url.protocol.slice(0, -1);
  return {
    method: request.method,
    host: url.hostname.toLowerCase().replace(/\.$/, ''), // `example.com.` is `example.com`
    rawPath: rawPathOf(request.url),
    rawQuery: url.search.slice(1),
    query: url.searchParams,
    headers: request.headers,
    clientIp: request.headers.get('cf-connecting-ip'),
    scheme,
    authority: url.host,
    listenerPort: edgeListenerPort(env.LISTENER_PORT, scheme),
    tlsPeer: null,
    // workerd shows a Worker the Upgrade header of a WebSocket handshake only (Connection is its own).
    upgrade: request.headers.get('upgrade'),
  };
}

/** A stage's answer as a Response: the Weft JSON error, a gRPC status for a gRPC-Web caller, or a bodiless redirect / preflight. */
function answerResponse(c: PipelineContext<Response>, a: Answer): Response {
  const r = renderAnswer(a, { method: c.request.method, contentType: c.request.headers.get('content-type') }, c.responseHeaders);
  return new Response(r.body, { status: r.status, headers: r.headers });
}

function finish(c: PipelineContext<Response>, pieces: EdgePieces, span: ReturnType<typeof startRequestSpan>, answer: Answer | undefined): Response {
  if (answer) c.reason = answer.code;
  const response = answer ? answerResponse(c, answer) : (c.delivered ?? answerResponse(c, { status: 500, code: 'internal', message: 'no stage answered', headers: {} }));
  const final = finishResponse(c, response);
  // An open WebSocket is logged once it closes (the relay keeps the request alive until then).
  if (final.status === 101 && pieces.tunnel) void pieces.tunnel.then((closed) => writeAccessLog(c, final, closed));
  else writeAccessLog(c, final);
  endRequestSpan(c, pieces, span, { response: final }); // ends the span; its export runs after the response (waitUntil)
  return final;
}

export function runPipeline(request: Request, env: GatewayEnv, ctx: ExecutionContext, runtime: SnapshotRuntime): Response | Promise<Response> {
  const url = new URL(request.url);
  const span = startRequestSpan(request, env); // the SERVER span; its context is the upstream traceparent
  const pieces = new EdgePieces(request, env, ctx, url);
  const c = createContext<Response>({
    plane: 'edge',
    runtime,
    request: requestView(request, url, env),
    pieces,
    upstreamHeaders: untrustedStripped(request.headers),
    traceparent: span.traceparent,
    startedAt: Date.now(),
  });
  pieces.c = c;
  let answer;
  try {
    answer = runStages(EDGE_STAGES, c);
  } catch (error) {
    endRequestSpan(c, pieces, span, { error });
    throw error;
  }
  if (!(answer instanceof Promise)) return finish(c, pieces, span, answer);
  return answer.then(
    (a) => finish(c, pieces, span, a),
    (error: unknown) => {
      endRequestSpan(c, pieces, span, { error });
      throw error;
    },
  );
}
