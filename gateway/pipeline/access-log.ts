// One JSON line per request: what an operator greps for (route, status, latency, upstream,
// principal, trace id). Never the token, never the API key. The fields are taken when the
// response is ready; the line is written after it has gone (`waitUntil`), off the latency path.
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
    traceId: c.traceparent.split('-')[1] ?? null,
    snapshot: c.runtime.version.slice(0, 12),
  };
  c.ctx.waitUntil(Promise.resolve().then(() => console.log(JSON.stringify(entry))));
}
