// The gateway's request pipeline, in order. Each stage is a small unit (one file); a stage
// that answers ends the pipeline. The response then gets the route's response headers, the
// CORS and rate-limit headers, and one JSON access-log line; the request's span (trace.ts)
// ends, and is exported after the response.
import type { SnapshotRuntime } from '../../core/runtime/snapshot-runtime.ts';
import type { GatewayEnv } from '../env.ts';
import { proxyStage } from '../upstream/proxy.ts';
import { writeAccessLog } from './access-log.ts';
import { authenticateStage } from './authenticate.ts';
import { authorizeStage } from './authorize.ts';
import { stripUntrusted } from '../../core/http/header-ops.ts';
import { clientHeadersStage } from './client-headers.ts';
import type { GatewayContext, Stage } from './context.ts';
import { corsStage } from './cors.ts';
import { faultStage } from './fault.ts';
import { matchRouteStage } from './match-route.ts';
import { normalizePathStage } from './normalize-path.ts';
import { pickBackendStage } from './pick-backend.ts';
import { edgeTokenStage } from './edge-token.ts';
import { meshIdentityStage } from './mesh-identity.ts';
import { rateLimitStage } from './rate-limit.ts';
import { redirectStage } from './redirect.ts';
import { requestHeadersStage } from './request-headers.ts';
import { finishResponse } from './response-headers.ts';
import { endRequestSpan, startRequestSpan } from './trace.ts';

export const STAGES: readonly Stage[] = [
  normalizePathStage, // 1. one normalization for routing and access policy; bad paths 400
  matchRouteStage, // 2. route match; no match 404
  corsStage, // 3. CORS preflight and headers
  authenticateStage, // 4. JWT / API key; 401
  authorizeStage, // 5. access policy; 403
  rateLimitStage, // 6. local and global limits; 429
  faultStage, // 7. fault injection (delay, abort)
  redirectStage, //    redirect
  clientHeadersStage, //    forwarding headers (x-forwarded-*, traceparent); untrusted ones were cut on entry
  requestHeadersStage, //    rewrite, request header operations
  pickBackendStage, // 8. weighted backend (canary)
  edgeTokenStage, //    edge token for an authenticated user, for that backend
  meshIdentityStage, //    the gateway's own JWT-SVID for that backend (x-weft-svid)
  proxyStage, // 9. endpoint pick, upstream fetch (timeouts, retries, mirror)
];

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

export async function runPipeline(request: Request, env: GatewayEnv, ctx: ExecutionContext, runtime: SnapshotRuntime): Promise<Response> {
  const url = new URL(request.url);
  const span = startRequestSpan(request, env); // the SERVER span; its context is the upstream traceparent
  const c: GatewayContext = {
    request,
    env,
    ctx,
    runtime,
    startedAt: Date.now(),
    url,
    host: url.hostname.toLowerCase().replace(/\.$/, ''), // `example.com.` is `example.com`
    rawPath: rawPathOf(request.url),
    path: '',
    clientIp: request.headers.get('cf-connecting-ip'),
    traceparent: span.traceparent,
    targets: [],
    upstreamHeaders: untrustedStripped(request.headers),
    responseHeaders: [],
    upstreamPath: '',
    upstreamHost: null,
  };
  let response: Response | undefined;
  try {
    for (const stage of STAGES) {
      // Most stages decide synchronously; only a promise is awaited (each await is a turn).
      const r = stage(c);
      response = r instanceof Promise ? await r : r;
      if (response) break;
    }
  } catch (error) {
    endRequestSpan(c, span, { error });
    throw error;
  }
  const final = finishResponse(c, response ?? new Response(null, { status: 500 }));
  writeAccessLog(c, final);
  endRequestSpan(c, span, { response: final }); // ends the span; its export runs after the response (waitUntil)
  return final;
}
