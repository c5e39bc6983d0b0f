// Which route rule governs the request (core matcher, compiled once per snapshot): at the
// edge by the request's host; in the mesh by the destination service's mesh host. An edge
// request no rule matches is a 404. Outbound, a known service no rule matches goes straight
// to the service under the Mesh defaults (directRule) unless a mesh Route governs that
// service: then, as with a Gateway API route attached to a Service (GAMMA) and in Istio and
// Linkerd, the route's rules are the whole contract and an unmatched call is a 404. Inbound,
// an unmatched request is governed by the policies on this workload's Service alone.
import { meshHost } from '../../compile/route-table.ts';
import type { RuleRef } from '../../compile/route-table.ts';
import type { RouteMatcher } from '../../route/types.ts';
import { refuse } from '../answer.ts';
import type { PipelineContext, Stage } from '../context.ts';
import { directRule } from '../direct-rule.ts';
import { routeLabel } from './route-label.ts';

/** A CORS preflight is matched as the request it announces, so it reaches that rule's CORS policy. */
function methodToMatch(c: PipelineContext): string {
  const method = c.request.method.toUpperCase();
  if (method !== 'OPTIONS' || c.plane !== 'edge') return method;
  const announced = c.request.headers.get('access-control-request-method');
  return announced && c.request.headers.get('origin') ? announced.toUpperCase() : method;
}

function match(c: PipelineContext, matcher: RouteMatcher<RuleRef>, host: string): boolean {
  const hit = matcher.match({ host, path: c.path, method: methodToMatch(c), headers: c.request.headers, query: c.request.query });
  const found = hit && c.runtime.rule(hit.target);
  if (!hit || !found) return false;
  const m = found.rule.matches[hit.target.match];
  c.match = { route: found.route, rule: found.rule, params: hit.params, matchedPrefix: m?.path.kind === 'prefix' ? m.path.value : null };
  c.routeLabel = routeLabel(found.route.id, found.rule.name);
  c.targets.push({ kind: 'Route', id: found.route.id });
  return true;
}

export const matchEdgeRouteStage: Stage = (c) => {
  if (match(c, c.runtime.edge, c.request.host)) return undefined;
  return refuse('no_route', `no route for ${c.request.method} ${c.request.host}${c.path}`);
};

export const matchMeshRouteStage: Stage = (c) => {
  const service = c.service as string;
  if (match(c, c.runtime.mesh, meshHost(service)) || c.plane === 'inbound') return undefined;
  if (c.runtime.meshGoverned.has(service)) return refuse('no_route', `no rule of the routes for ${service} matches ${c.request.method} ${c.path}`);
  c.match = { route: null, rule: directRule(c.runtime, service), params: {}, matchedPrefix: null };
  return undefined;
};
