// W3C trace context and the request's span: continue the caller's trace (a new span id for the
// gateway's hop) or start one; the upstream request carries it, the access log names it. With
// an OTLP endpoint configured, the hop is a recorded SERVER span, "gateway.request", with the
// OpenTelemetry HTTP semantic-convention attributes, exported after the response. It ends
// when the response head is ready (a streamed body may still be flowing).
import { SpanStatusCode } from '@opentelemetry/api';
import type { Attributes } from '@opentelemetry/api';
import type { GatewayEnv } from '../env.ts';
import { endServerSpan, startServerSpan } from '../telemetry/tracing.ts';
import type { ServerSpan } from '../telemetry/tracing.ts';
import type { PipelineContext } from '../../core/pipeline/context.ts';
import type { EdgePieces } from './edge-pieces.ts';

export type RequestSpan = ServerSpan;

/** Methods the HTTP semantic conventions name; anything else is `_OTHER`. */
const KNOWN_METHODS = new Set(['CONNECT', 'DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT', 'TRACE', 'QUERY']);

export function startRequestSpan(request: Request, env: GatewayEnv): RequestSpan {
  return startServerSpan(request.headers, env, 'gateway.request');
}

function requestAttributes(c: PipelineContext): Attributes {
  const method = c.request.method.toUpperCase();
  const a: Attributes = {
    'http.request.method': KNOWN_METHODS.has(method) ? method : '_OTHER',
    'url.scheme': c.request.scheme,
    'url.path': c.request.rawPath,
    'server.address': c.request.host,
    'weft.snapshot.version': c.runtime.version,
  };
  if (!KNOWN_METHODS.has(method)) a['http.request.method_original'] = c.request.method;
  if (c.request.clientIp) a['client.address'] = c.request.clientIp;
  if (c.routeLabel) a['http.route'] = c.routeLabel;
  if (c.upstream) a['weft.upstream'] = c.upstream;
  if (c.user) a['enduser.id'] = c.user.requestPrincipal;
  return a;
}

/**
 * Ends the request's span with what the pipeline learned (route, status, upstream, user) and
 * hands its export to `waitUntil`. A 5xx answer or a thrown error marks it as an error
 * (server-span rule of the HTTP conventions; a 4xx is the client's).
 */
export function endRequestSpan(c: PipelineContext, pieces: EdgePieces, s: RequestSpan, outcome: { response: Response } | { error: unknown }): void {
  if (!s.span.isRecording()) return endServerSpan(s, {}, pieces.ctx);
  const attributes = requestAttributes(c);
  if ('response' in outcome) {
    const status = outcome.response.status;
    attributes['http.response.status_code'] = status;
    if (status >= 500) {
      attributes['error.type'] = String(status);
      s.span.setStatus({ code: SpanStatusCode.ERROR });
    }
  } else {
    const error = outcome.error instanceof Error ? outcome.error : new Error(String(outcome.error));
    attributes['error.type'] = error.name;
    s.span.recordException(error);
    s.span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
  }
  endServerSpan(s, attributes, pieces.ctx);
}
