// Route precedence: which entry wins when several match a request. The Kubernetes Gateway
// API's order (HTTPRouteRule.matches; GRPCRoute's, for `grpc` matches, agrees: see
// docs/routing.md), criteria compared one after the other, never summed. Deterministic, and
// the same for every RouteMatcher (the linear matcher sorts by these comparators; the
// indexed matcher's structure visits candidates in this order).
//
//  1. Host: an exact host beats a wildcard; a longer wildcard suffix beats a shorter one
//     (`*.api.example.com` before `*.example.com`); `*` (or no hosts) comes last. The most
//     specific host that yields any match wins, even against a more specific path on a less
//     specific host (the spec's hostname rule).
//  2. Path kind: exact > template (a Weft extension) > prefix > regex (the spec leaves regex
//     to the implementation; Weft puts it last).
//  3. Within a kind: template — segment by segment, at the first position where two
//     templates differ, a literal beats a parameter (`/users/me` before `/users/{id}`);
//     prefix — the longer first (`/api/v1` before `/api`). Prefixes that match one request
//     are segment prefixes of each other (a trailing `/` is ignored), so more segments is
//     more characters, the spec's measure. Exact and regex: no order.
//  4. A method condition beats none.
//  5. More header conditions first.
//  6. More query conditions first.
//  7. Lower `order` first: the compiler numbers routes by namespace/name, then rules, then
//     match blocks (Weft has no creation time, the spec's first criterion here).
//  8. Earlier in the entries list first (a total order even when `order` ties).

import type { CompiledEntry } from './compiled-entry.ts';
import type { TemplateSegment } from './template.ts';
import type { PathMatch } from './types.ts';

/** Host specificity of an `*` host or an entry without hosts; exact hosts rank above all wildcards. */
export const ANY_HOST_RANK = -1;
export const EXACT_HOST_RANK = Number.POSITIVE_INFINITY;

/**
 * How specifically one entry host matches a request host (higher is more specific), or
 * undefined when it does not match: exact → EXACT_HOST_RANK; `*.suffix` → suffix length;
 * `*` → ANY_HOST_RANK. `*.example.com` needs at least one character before `.example.com`.
 */
export function hostRank(entryHost: string, requestHost: string): number | undefined {
  if (entryHost === '*') return ANY_HOST_RANK;
  if (entryHost.startsWith('*.')) {
    const suffix = entryHost.slice(1); // '.example.com'
    return requestHost.length > suffix.length && requestHost.endsWith(suffix) ? suffix.length : undefined;
  }
  return entryHost === requestHost ? EXACT_HOST_RANK : undefined;
}

const KIND_RANK: Record<PathMatch['kind'], number> = { exact: 0, template: 1, prefix: 2, regex: 3 };

export function compareTemplates(a: readonly TemplateSegment[], b: readonly TemplateSegment[]): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const left = a[i]?.kind;
    const right = b[i]?.kind;
    if (left !== right) return left === 'literal' ? -1 : 1;
  }
  return 0;
}

/** Rules 2 and 3: negative when `a` has the more specific path. */
export function comparePathSpecificity(a: CompiledEntry<unknown>, b: CompiledEntry<unknown>): number {
  const kind = KIND_RANK[a.entry.path.kind] - KIND_RANK[b.entry.path.kind];
  if (kind !== 0) return kind;
  if (a.template && b.template) return compareTemplates(a.template, b.template);
  if (a.prefixSegments && b.prefixSegments) return b.prefixSegments.length - a.prefixSegments.length;
  return 0;
}

const hasMethod = (entry: CompiledEntry<unknown>): number => (entry.methods === undefined ? 0 : 1);

/** Rules 4 to 8, for entries whose host and path are equally specific: negative when `a` wins. */
export function compareTieBreak(a: CompiledEntry<unknown>, b: CompiledEntry<unknown>): number {
  return (
    hasMethod(b) - hasMethod(a) ||
    b.headers.length - a.headers.length ||
    b.query.length - a.query.length ||
    a.entry.order - b.entry.order ||
    a.index - b.index
  );
}
