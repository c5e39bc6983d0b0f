// The entries that share one host bucket and one path (an exact path, a template or prefix
// trie node, a regex), in precedence order, each with its rank in that order. Many routes
// can share a path and differ only by a header or query value (`x-tenant: acme`,
// `x-tenant: globex`, …); a plain list would make such a path cost per route. So a large
// set is split on the header or query parameter that most of its entries require an
// exact value for: a Map from that value to the entries requiring it, plus the rest.
// A request then looks up its own value, and the best candidate is the lower-ranked of
// the best in that value's subset and the best in the rest. In the subset, the condition
// the lookup has already checked is dropped from each candidate's remaining conditions.

import { passesConditions } from './compiled-entry.ts';
import type { CompiledEntry, CompiledValueMatch, Conditions } from './compiled-entry.ts';
import type { MatchRequest } from './types.ts';

export interface Candidate<T> extends Conditions {
  /** Position in precedence order within the set it was built for (lower wins). */
  readonly rank: number;
  readonly compiled: CompiledEntry<T>;
  /** No condition left to check (the inherited lists are empty). */
  readonly unconditional: boolean;
  // What a match returns, copied here so a hit reads one object less per request.
  readonly target: T;
  readonly paramPositions: readonly number[];
  readonly paramNames: readonly string[];
}

export type CandidateSet<T> =
  | { readonly kind: 'list'; readonly items: readonly Candidate<T>[] }
  | {
      readonly kind: 'split';
      readonly source: 'headers' | 'query';
      readonly name: string;
      readonly byValue: ReadonlyMap<string, CandidateSet<T>>;
      readonly rest: CandidateSet<T>;
    };

/** Below this size a list is scanned; splitting costs a lookup and a second search. */
const SPLIT_MIN_SIZE = 8;

type Source = 'headers' | 'query';

function keyOf(source: Source, name: string): string {
  return source + '\n' + name;
}

/** The exact value this candidate requires for source/name, if any. */
function exactValue(candidate: Candidate<unknown>, source: Source, name: string): string | undefined {
  for (const condition of candidate[source]) {
    if (condition.name === name && condition.kind === 'exact') return condition.value;
  }
  return undefined;
}

function chooseSplit(items: readonly Candidate<unknown>[], used: ReadonlySet<string>): { source: Source; name: string } | undefined {
  const counts = new Map<string, { source: Source; name: string; count: number }>();
  for (const item of items) {
    const seen = new Set<string>();
    for (const source of ['headers', 'query'] as const) {
      for (const condition of item[source]) {
        if (condition.kind !== 'exact') continue;
        const key = keyOf(source, condition.name);
        if (used.has(key) || seen.has(key)) continue;
        seen.add(key);
        const entry = counts.get(key) ?? { source, name: condition.name, count: 0 };
        entry.count++;
        counts.set(key, entry);
      }
    }
  }
  let best: { source: Source; name: string; count: number } | undefined;
  for (const entry of counts.values()) if (!best || entry.count > best.count) best = entry;
  // Split only when it takes a real share of the set off the linear part.
  if (!best || best.count < 2 || best.count * 4 < items.length) return undefined;
  return best;
}

function build<T>(items: readonly Candidate<T>[], used: ReadonlySet<string>): CandidateSet<T> {
  if (items.length < SPLIT_MIN_SIZE) return { kind: 'list', items };
  const split = chooseSplit(items, used);
  if (!split) return { kind: 'list', items };
  const groups = new Map<string, Candidate<T>[]>();
  const rest: Candidate<T>[] = [];
  for (const item of items) {
    const value = exactValue(item, split.source, split.name);
    if (value === undefined) {
      rest.push(item);
      continue;
    }
    const checked = (condition: CompiledValueMatch) =>
      condition.name === split.name && condition.kind === 'exact' && condition.value === value;
    const narrowed = withConditions(item, { ...item, [split.source]: item[split.source].filter((c) => !checked(c)) });
    const group = groups.get(value);
    if (group) group.push(narrowed);
    else groups.set(value, [narrowed]);
  }
  const nextUsed = new Set(used).add(keyOf(split.source, split.name));
  const byValue = new Map<string, CandidateSet<T>>();
  for (const [value, group] of groups) byValue.set(value, build(group, nextUsed));
  return { kind: 'split', source: split.source, name: split.name, byValue, rest: build(rest, nextUsed) };
}

function withConditions<T>(item: Candidate<T>, conditions: Conditions): Candidate<T> {
  const { methods, headers, query } = conditions;
  return {
    ...item,
    methods,
    headers,
    query,
    unconditional: methods === undefined && headers.length === 0 && query.length === 0,
  };
}

export function candidate<T>(rank: number, compiled: CompiledEntry<T>): Candidate<T> {
  return {
    rank,
    compiled,
    methods: compiled.methods,
    headers: compiled.headers,
    query: compiled.query,
    unconditional: compiled.methods === undefined && compiled.headers.length === 0 && compiled.query.length === 0,
    target: compiled.entry.target,
    paramPositions: compiled.paramPositions,
    paramNames: compiled.paramNames,
  };
}

/** Builds a set from candidates sorted by rank. */
export function buildCandidateSet<T>(candidates: readonly Candidate<T>[]): CandidateSet<T> {
  return build(candidates, new Set());
}

/** The lowest-ranked candidate below `limit` whose conditions hold, or undefined. */
export function firstPassing<T>(set: CandidateSet<T>, request: MatchRequest, limit = Number.POSITIVE_INFINITY): Candidate<T> | undefined {
  if (set.kind === 'list') {
    for (const item of set.items) {
      if (item.rank >= limit) return undefined;
      if (item.unconditional || passesConditions(item, request)) return item;
    }
    return undefined;
  }
  const value = request[set.source].get(set.name);
  const subset = value === null ? undefined : set.byValue.get(value);
  const fromSubset = subset && firstPassing(subset, request, limit);
  const fromRest = firstPassing(set.rest, request, fromSubset ? fromSubset.rank : limit);
  return fromRest ?? fromSubset;
}
