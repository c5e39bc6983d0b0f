// Two route rules whose match blocks match exactly the same requests on the same host: legal
// (the Gateway API lets the first by precedence win), but the later one can never match there,
// which is almost always a mistake (two teams claiming one path). Warned at the later one,
// naming the one that wins. "First" is the matcher's tie-break on identical matches
// (core/route/precedence.ts): routes by namespace/name, then rule index, then match index,
// the order in which the compiled routes are walked here.
import type { TypedDocument } from '../policy/document.ts';
import type { CompiledRoute } from '../policy/route/compile.ts';
import type { RouteSpec } from '../policy/route/schema.ts';
import { canonicalJson } from '../snapshot/canonical-json.ts';

type Report = (doc: TypedDocument<unknown>, path: (string | number)[], message: string, code: string) => void;

/** Where a route's rules are matched, as the warning names it. */
function placesOf(route: CompiledRoute): string[] {
  return [...route.edgeHosts.map((host) => `host ${host}`), ...route.meshServices.map((service) => `calls to Service "${service}"`)];
}

export function warnIdenticalMatches(routes: readonly CompiledRoute[], docs: ReadonlyMap<string, TypedDocument<RouteSpec>>, warn: Report): void {
  const winners = new Map<string, string>();
  for (const route of routes) {
    const doc = docs.get(route.id);
    const places = placesOf(route);
    route.rules.forEach((rule, ri) =>
      rule.matches.forEach((m, mi) => {
        // Condition lists are sets: order-insensitive key (methods are already sorted).
        const sameMatch = canonicalJson({ path: m.path, methods: m.methods, headers: m.headers.map(canonicalJson).sort(), query: m.query.map(canonicalJson).sort() });
        const here = `Route "${route.id}" rule "${rule.name}"`;
        const shadowed = new Map<string, string[]>();
        for (const place of places) {
          const key = `${place}\u0000${sameMatch}`;
          const winner = winners.get(key);
          if (winner === undefined) winners.set(key, here);
          // Two identical blocks of one rule send requests to the same place: nothing lost.
          else if (winner !== here) shadowed.set(winner, [...(shadowed.get(winner) ?? []), place]);
        }
        if (!doc) return;
        for (const [winner, where] of shadowed) {
          warn(
            doc,
            ['spec', 'rules', ri, 'matches', mi],
            `matches exactly the same requests on ${where.join(', ')} as ${winner}; that rule wins and this one never matches there`,
            'identical-match',
          );
        }
      }),
    );
  }
}
