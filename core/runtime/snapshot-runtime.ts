// A verified snapshot made ready for requests: everything a data plane looks up per request
// is built here once per version (route matchers, indexes by id, per-target policy lists), so
// the hot path does map lookups, never scans or re-parsing. Shared by gateway and sidecar.
import { createAccessEvaluator } from '../access/compile-access.ts';
import type { AccessEvaluator } from '../access/compile-access.ts';
import { formatSpiffeId } from '../identity/spiffe-id.ts';
import { edgeRouteEntries, meshRouteEntries } from '../compile/route-table.ts';
import type { RuleRef } from '../compile/route-table.ts';
import type { CompiledAuthentication } from '../policy/authentication/compile.ts';
import type { CompiledRateLimit, CompiledLimit } from '../policy/rate-limit/compile.ts';
import type { CompiledRoute, CompiledRule } from '../policy/route/compile.ts';
import type { CompiledService } from '../policy/service/compile.ts';
import type { CompiledTarget } from '../policy/shared/resolve-targets.ts';
import { targetKey } from '../policy/shared/resolve-targets.ts';
import { createRouteMatcher } from '../route/index.ts';
import type { RouteMatcher } from '../route/types.ts';
import type { Snapshot } from '../snapshot/types.ts';

export interface SnapshotRuntime {
  snapshot: Snapshot;
  version: string;
  edge: RouteMatcher<RuleRef>;
  mesh: RouteMatcher<RuleRef>;
  /** Service ids some mesh Route governs: a call to one of them that no rule matches is a 404 (GAMMA). */
  meshGoverned: ReadonlySet<string>;
  routes: ReadonlyMap<string, CompiledRoute>;
  services: ReadonlyMap<string, CompiledService>;
  /** Each Service's SPIFFE ID by service id (`ns/name`): the audience of tokens sent to it. */
  spiffeIds: ReadonlyMap<string, string>;
  access: AccessEvaluator;
  /** The Authentication attached to a target key (`Route:ns/name`), if any. */
  authentication(targets: readonly CompiledTarget[]): CompiledAuthentication | undefined;
  /** Every rate limit attached to any of the targets, with its policy id. */
  rateLimits(targets: readonly CompiledTarget[]): readonly { policy: string; limit: CompiledLimit }[];
  rule(ref: RuleRef): { route: CompiledRoute; rule: CompiledRule } | undefined;
}

function indexByTarget<T extends { targets: CompiledTarget[] }>(items: readonly T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items)
    for (const t of item.targets) {
      const list = out.get(targetKey(t));
      if (list) list.push(item);
      else out.set(targetKey(t), [item]);
    }
  return out;
}

export function buildSnapshotRuntime(snapshot: Snapshot): SnapshotRuntime {
  const body = snapshot.body;
  const routes = new Map(body.routes.map((r) => [r.id, r]));
  const services = new Map(body.services.map((s) => [s.id, s]));
  const auth = indexByTarget(body.authentications);
  // Per target, the (policy, limit) pairs a request to it is counted by: built once here.
  const limits = new Map([...indexByTarget<CompiledRateLimit>(body.rateLimits)].map(([key, policies]) => [key, policies.flatMap((p) => p.limits.map((limit) => ({ policy: p.id, limit })))]));
  return {
    snapshot,
    version: snapshot.version,
    edge: createRouteMatcher(edgeRouteEntries(body)),
    mesh: createRouteMatcher(meshRouteEntries(body)),
    meshGoverned: new Set(body.routes.flatMap((r) => r.meshServices)),
    routes,
    services,
    spiffeIds: new Map(body.services.map((s) => [s.id, formatSpiffeId(body.mesh.trustDomain, s.namespace, s.name)])),
    access: createAccessEvaluator(body.accessPolicies),
    authentication: (targets) => {
      for (const t of targets) {
        const hit = auth.get(targetKey(t))?.[0];
        if (hit) return hit;
      }
      return undefined;
    },
    rateLimits: (targets) => (targets.length === 1 ? (limits.get(targetKey(targets[0] as CompiledTarget)) ?? []) : targets.flatMap((t) => limits.get(targetKey(t)) ?? [])),
    rule: (ref) => {
      const route = routes.get(ref.route);
      const rule = route?.rules[ref.rule];
      return route && rule ? { route, rule } : undefined;
    },
  };
}
