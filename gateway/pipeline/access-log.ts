// One JSON line per request: what an operator greps for (route, status, latency, upstream,
// principal, trace id). Never the token, never the API key. Written when the response is
// ready, before the body has streamed. (Deferring it with waitUntil saves nothing: a promise
// callback still runs before workerd takes the response, and a workerd CPU profile shows the
// same cost either way.)
import type { GatewayContext } from './context.ts';

export function writeAccessLog(c: GatewayContext, response: Response): void {
  const entry = {
    component: 'gateway.access',
    method: c.request.method,
    host: c.host,
    path: c.path || c.rawPath,
    route: c.match ? `${c.match.route.id}#${c.match.rule.name}` : null,
    status: response.status,
    latencyMs: Date.now() - c.startedAt,
    upstream: c.upstream ?? null,
    principal: c.user?.requestPrincipal ?? null,
    clientIp: c.clientIp,
    traceId: c.traceparent.slice(3, 35), // `00-<32 hex trace id>-<span id>-<flags>`, formatted by the gateway itself
    snapshot: c.runtime.version.slice(0, 12),
  };
  console.log(JSON.stringify(entry));
}
