// Two route rules that match exactly the same requests on the same host: the later one could
// never win, which is almost always a mistake (two teams claiming one path). Reported as a
// conflict at the later one, naming the earlier.
import type { TypedDocument } from '../policy/document.ts';
import type { CompiledRoute } from '../policy/route/compile.ts';
import type { RouteSpec } from '../policy/route/schema.ts';
import { canonicalJson } from '../snapshot/canonical-json.ts';
import { meshHost } from './route-table.ts';

type Report = (doc: TypedDocument<unknown>, path: (string | number)[], message: string, code: string) => void;

export function checkRouteConflicts(routes: CompiledRoute[], docs: ReadonlyMap<string, TypedDocument<RouteSpec>>, report: Report): void {
  const seen = new Map<string, string>();
  for (const route of routes) {
    const hosts = [...route.edgeHosts.map((h) => `edge ${h}`), ...route.meshServices.map((s) => `mesh ${meshHost(s)}`)];
    route.rules.forEach((rule, ri) =>
      rule.matches.forEach((m, mi) => {
        // Condition lists are sets: order-insensitive key (methods are already sorted).
        const sameMatch = canonicalJson({ path: m.path, methods: m.methods, headers: m.headers.map(canonicalJson).sort(), query: m.query.map(canonicalJson).sort() });
        const here = `Route "${route.id}" rule "${rule.name}"`;
        for (const host of hosts) {
          const key = `${host}\u0000${sameMatch}`;
          const earlier = seen.get(key);
          if (earlier && earlier !== here) {
            const doc = docs.get(route.id);
            if (doc) report(doc, ['spec', 'rules', ri, 'matches', mi], `matches exactly the same requests on ${host.replace(' ', ' host ')} as ${earlier}`, 'conflict');
          } else if (!earlier) seen.set(key, here);
        }
      }),
    );
  }
}
