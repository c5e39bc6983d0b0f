// Stage 2: which route rule governs the request (core matcher, compiled once per snapshot).
import { jsonError } from './json-error.ts';
import type { Stage } from './context.ts';

export const matchRouteStage: Stage = (c) => {
  const hit = c.runtime.edge.match({ host: c.host, path: c.path, method: c.request.method.toUpperCase(), headers: c.request.headers, query: c.url.searchParams });
  const found = hit && c.runtime.rule(hit.target);
  if (!hit || !found) return jsonError(404, 'no_route', `no route for ${c.request.method} ${c.host}${c.path}`);
  const m = found.rule.matches[hit.target.match];
  c.match = { ref: hit.target, route: found.route, rule: found.rule, params: hit.params, matchedPrefix: m?.path.kind === 'prefix' ? m.path.value : null };
  c.targets = [{ kind: 'Route', id: found.route.id }];
  return undefined;
};
