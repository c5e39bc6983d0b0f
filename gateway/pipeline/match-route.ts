// Stage 2: which route rule governs the request (core matcher, compiled once per snapshot).
import { jsonError } from './json-error.ts';
import type { Stage } from './context.ts';

/** A CORS preflight is matched as the request it announces, so it reaches that rule's CORS policy. */
function methodToMatch(request: Request): string {
  const method = request.method.toUpperCase();
  const announced = request.headers.get('access-control-request-method');
  return method === 'OPTIONS' && announced && request.headers.get('origin') ? announced.toUpperCase() : method;
}

export const matchRouteStage: Stage = (c) => {
  const hit = c.runtime.edge.match({ host: c.host, path: c.path, method: methodToMatch(c.request), headers: c.request.headers, query: c.url.searchParams });
  const found = hit && c.runtime.rule(hit.target);
  if (!hit || !found) return jsonError(404, 'no_route', `no route for ${c.request.method} ${c.host}${c.path}`);
  const m = found.rule.matches[hit.target.match];
  c.match = { ref: hit.target, route: found.route, rule: found.rule, params: hit.params, matchedPrefix: m?.path.kind === 'prefix' ? m.path.value : null };
  c.targets = [{ kind: 'Route', id: found.route.id }];
  return undefined;
};
