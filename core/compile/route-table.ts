// Route table entries for the matcher, from a snapshot body: one entry per host × rule × match
// block. `order` runs over routes sorted by id, then rules, then matches — never file order.
import type { SnapshotBody } from '../snapshot/types.ts';
import type { MatchEntry } from '../route/types.ts';

export interface RuleRef {
  /** Route id, `namespace/name`. */
  route: string;
  /** Index of the rule in the route. */
  rule: number;
  /** Index of the match block in the rule. */
  match: number;
}

/** The host a mesh route is matched on: `name.namespace` for service id `namespace/name`. */
export function meshHost(serviceId: string): string {
  const [namespace, name] = serviceId.split('/');
  return `${name}.${namespace}`;
}

function entries(body: SnapshotBody, hostsOf: (r: SnapshotBody['routes'][number]) => string[]): MatchEntry<RuleRef>[] {
  const out: MatchEntry<RuleRef>[] = [];
  let order = 0;
  for (const route of body.routes) {
    const hosts = hostsOf(route);
    route.rules.forEach((rule, ri) =>
      rule.matches.forEach((m, mi) => {
        const current = order++;
        if (hosts.length === 0) return;
        out.push({ hosts, path: m.path, methods: m.methods, headers: m.headers, query: m.query, order: current, target: { route: route.id, rule: ri, match: mi } });
      }),
    );
  }
  return out;
}

export function edgeRouteEntries(body: SnapshotBody): MatchEntry<RuleRef>[] {
  return entries(body, (r) => r.edgeHosts);
}

export function meshRouteEntries(body: SnapshotBody): MatchEntry<RuleRef>[] {
  return entries(body, (r) => r.meshServices.map(meshHost));
}
