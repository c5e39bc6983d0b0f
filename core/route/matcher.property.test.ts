// Both matchers must answer exactly like a reference written here, plainly, from the Gateway
// API's precedence text (apis/v1/httproute_types.go, HTTPRouteRule.matches): keep every entry
// that matches, sort by the spec's criteria one after the other, take the first. It shares
// no code with the matchers, so it checks the order itself, not only that the two agree.
// Small alphabets (hosts, segments, header values) make routes collide, so precedence,
// host buckets, trie branches and header-value splits all get exercised.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createRouteMatcher } from './indexed-matcher.ts';
import { createLinearMatcher } from './linear-matcher.ts';
import { request } from '../../test/conformance/route-matcher.cases.ts';
import type { RequestSpec } from '../../test/conformance/route-matcher.cases.ts';
import type { MatchEntry, MatchRequest, MatchResult, PathMatch, ValueMatch } from './types.ts';

// ---- The reference: the spec's order, written out. ----

/** [characters of a matching non-wildcard host, characters of a matching host]; `*` and no hosts: [0, 0]. */
function hostScore(hosts: readonly string[], requestHost: string): [number, number] | undefined {
  if (hosts.length === 0) return [0, 0];
  let best: [number, number] | undefined;
  for (const host of hosts) {
    let score: [number, number] | undefined;
    if (host === '*') score = [0, 0];
    else if (host.startsWith('*.')) {
      // `*.example.com` needs at least one character before `.example.com`.
      const suffix = host.slice(1);
      if (requestHost.endsWith(suffix) && requestHost.length > suffix.length) score = [0, host.length];
    } else if (host === requestHost) score = [host.length, host.length];
    if (score && (!best || score[0] > best[0] || (score[0] === best[0] && score[1] > best[1]))) best = score;
  }
  return best;
}

const withoutTrailingSlashes = (value: string) => value.replace(/\/+$/, '');

/** The captured params when the path matches, else undefined. */
function pathParams(match: PathMatch, path: string): Record<string, string> | undefined {
  switch (match.kind) {
    case 'exact':
      return path === match.value ? {} : undefined;
    case 'prefix': {
      const prefix = withoutTrailingSlashes(match.value);
      return prefix === '' || path === prefix || path.startsWith(prefix + '/') ? {} : undefined;
    }
    case 'template': {
      const parts = match.value.split('/');
      const segments = path.split('/');
      if (parts.length !== segments.length) return undefined;
      const params: Record<string, string> = {};
      for (let i = 0; i < parts.length; i++) {
        const part = parts[i] ?? '';
        const segment = segments[i] ?? '';
        if (part.startsWith('{')) {
          if (segment === '') return undefined;
          params[part.slice(1, -1)] = segment;
        } else if (part !== segment) return undefined;
      }
      return params;
    }
    case 'regex':
      return new RegExp(`^(?:${match.value})$`, 'u').test(path) ? {} : undefined;
  }
}

function valueHolds(condition: ValueMatch, actual: string | null): boolean {
  if (actual === null) return false;
  if (condition.kind === 'exact') return actual === condition.value;
  if (condition.kind === 'prefix') return actual.startsWith(condition.value);
  if (condition.kind === 'regex') return new RegExp(`^(?:${condition.value})$`, 'u').test(actual);
  return true;
}

const PATH_KIND = { exact: 0, template: 1, prefix: 2, regex: 3 } as const;

/**
 * The sort key of a matching entry; the smallest key wins. Host, then path: exact, template
 * (literal before parameter at the first difference), prefix (more characters, a trailing `/`
 * not counted), regex; then a method match, more header matches, more query matches; then
 * order (route namespace/name, rule, match block) and list position.
 */
function sortKey(entry: MatchEntry<number>, index: number, host: [number, number]): (number | string)[] {
  const { path } = entry;
  const templateShape = path.kind === 'template' ? path.value.split('/').map((part) => (part.startsWith('{') ? 'P' : 'L')).join('') : '';
  const prefixLength = path.kind === 'prefix' ? withoutTrailingSlashes(path.value).length : 0;
  return [
    -host[0],
    -host[1],
    PATH_KIND[path.kind],
    templateShape,
    -prefixLength,
    entry.methods.length > 0 ? -1 : 0,
    -entry.headers.length,
    -entry.query.length,
    entry.order,
    index,
  ];
}

function compareKeys(a: readonly (number | string)[], b: readonly (number | string)[]): number {
  for (let i = 0; i < a.length; i++) {
    const left = a[i] ?? 0;
    const right = b[i] ?? 0;
    if (left !== right) return left < right ? -1 : 1;
  }
  return 0;
}

function referenceMatch(routes: readonly MatchEntry<number>[], req: MatchRequest): MatchResult<number> | undefined {
  const matching: { key: (number | string)[]; result: MatchResult<number> }[] = [];
  routes.forEach((entry, index) => {
    const host = hostScore(entry.hosts, req.host);
    if (!host) return;
    const params = pathParams(entry.path, req.path);
    if (!params) return;
    if (entry.methods.length > 0 && !entry.methods.includes(req.method)) return;
    if (!entry.headers.every((h) => valueHolds(h, req.headers.get(h.name)))) return;
    if (!entry.query.every((q) => valueHolds(q, req.query.get(q.name)))) return;
    matching.push({ key: sortKey(entry, index, host), result: { target: entry.target, params } });
  });
  matching.sort((a, b) => compareKeys(a.key, b.key));
  return matching[0]?.result;
}

// ---- Random route sets and requests. ----

const SEGMENTS = ['a', 'b', 'c'];
const ENTRY_HOSTS = ['a.example.com', 'b.example.com', 'example.com', '*.example.com', '*.b.example.com', '*', 'other.test'];
const REQUEST_HOSTS = ['a.example.com', 'b.example.com', 'x.b.example.com', 'example.com', 'c.d.example.com', 'other.test', 'none.test'];
const REGEXES = ['/a.*', '/[ab]/.*', '/(a|b)/c', '.*', '/a/[^/]+', '/b/?', '/c|/a/b'];
const VALUES = ['1', '2', '12'];

const segment = fc.constantFrom(...SEGMENTS);
const literalPath = fc
  .tuple(fc.array(segment, { maxLength: 3 }), fc.boolean())
  .map(([parts, slash]) => '/' + parts.join('/') + (slash && parts.length > 0 ? '/' : ''));

const templatePath = fc
  .tuple(
    fc.array(fc.oneof(segment, fc.constantFrom('{id}', '{name}')), { minLength: 1, maxLength: 3 }),
    fc.boolean(),
  )
  .map(([parts, slash]) => {
    // Parameter names must be unique within a template: suffix them with their position.
    const named = parts.map((part, i) => (part.startsWith('{') ? `{${part.slice(1, -1)}${i}}` : part));
    return '/' + named.join('/') + (slash ? '/' : '');
  });

const pathMatch: fc.Arbitrary<PathMatch> = fc.oneof(
  literalPath.map((value) => ({ kind: 'exact', value }) as const),
  literalPath.map((value) => ({ kind: 'prefix', value }) as const),
  templatePath.map((value) => ({ kind: 'template', value }) as const),
  fc.constantFrom(...REGEXES).map((value) => ({ kind: 'regex', value }) as const),
);

function valueMatch(names: string[]): fc.Arbitrary<ValueMatch> {
  const name = fc.constantFrom(...names);
  return fc.oneof(
    { weight: 3, arbitrary: fc.record({ name, kind: fc.constant('exact' as const), value: fc.constantFrom(...VALUES) }) },
    { weight: 1, arbitrary: fc.record({ name, kind: fc.constant('prefix' as const), value: fc.constantFrom('1', '') }) },
    { weight: 1, arbitrary: fc.record({ name, kind: fc.constant('regex' as const), value: fc.constantFrom('1.*', '[12]') }) },
    { weight: 1, arbitrary: fc.record({ name, kind: fc.constant('present' as const) }) },
  );
}

// Mostly few conditions, so that a fair share of requests match something.
const fewOf = <A>(arbitrary: fc.Arbitrary<A[]>) =>
  fc.oneof({ weight: 2, arbitrary: fc.constant<A[]>([]) }, { weight: 1, arbitrary });

const entrySpec = fc.record({
  hosts: fc.oneof(
    { weight: 2, arbitrary: fc.constant<string[]>(['*']) },
    { weight: 4, arbitrary: fc.subarray(ENTRY_HOSTS, { minLength: 1, maxLength: 2 }) },
    { weight: 1, arbitrary: fc.constant<string[]>([]) },
  ),
  path: pathMatch,
  methods: fewOf(fc.subarray(['GET', 'POST'], { minLength: 1 })),
  headers: fewOf(fc.array(valueMatch(['x-a', 'x-b']), { minLength: 1, maxLength: 2 })),
  query: fewOf(fc.array(valueMatch(['q', 'r']), { minLength: 1, maxLength: 1 })),
  order: fc.integer({ min: 0, max: 5 }),
});

/**
 * Route sets, some with copies of their own match blocks under another order (identical
 * matches: the compiler warns, the first by order wins).
 */
const entries = (maxLength: number) =>
  fc
    .array(entrySpec, { maxLength })
    .chain((specs) =>
      fc.tuple(
        fc.constant(specs),
        specs.length === 0 ? fc.constant([]) : fc.array(fc.tuple(fc.constantFrom(...specs), fc.integer({ min: 0, max: 5 })), { maxLength: 3 }),
      ),
    )
    .map(([specs, copies]): MatchEntry<number>[] =>
      [...specs, ...copies.map(([spec, order]) => ({ ...spec, order }))].map((spec, target) => ({ ...spec, target })),
    );

const values = (names: string[]) =>
  fc.dictionary(fc.constantFrom(...names), fc.constantFrom(...VALUES, '3', ''), { maxKeys: names.length });

const randomPath = fc
  .tuple(fc.array(segment, { maxLength: 4 }), fc.boolean())
  .map(([parts, slash]) => '/' + parts.join('/') + (slash && parts.length > 0 ? '/' : ''));

const requestSpec: fc.Arbitrary<RequestSpec> = fc.record({
  host: fc.constantFrom(...REQUEST_HOSTS),
  path: randomPath,
  method: fc.constantFrom('GET', 'POST', 'PUT'),
  headers: values(['x-a', 'x-b']),
  query: values(['q', 'r']),
});

/** A path some route of the set matches by its path alone (for non-regex routes). */
function pathNear(route: MatchEntry<number>): fc.Arbitrary<string> {
  const { kind, value } = route.path;
  if (kind === 'exact') return fc.constant(value);
  if (kind === 'prefix') {
    return fc.constantFrom('', '/', '/a', '/b/c').map((tail) => (value.replace(/\/+$/, '') + tail) || '/');
  }
  if (kind === 'template') {
    return fc.array(segment, { minLength: 3, maxLength: 3 }).map((fill) => {
      let i = 0;
      return value.replace(/\{[^}]+\}/g, () => fill[i++ % fill.length] ?? 'a');
    });
  }
  return randomPath;
}

/** Requests half random, half aimed at the paths of the route set. */
function requestsFor(routes: MatchEntry<number>[]): fc.Arbitrary<RequestSpec[]> {
  const aimed =
    routes.length === 0
      ? requestSpec
      : fc
          .tuple(requestSpec, fc.constantFrom(...routes))
          .chain(([spec, route]) => pathNear(route).map((path) => ({ ...spec, path })));
  return fc.array(fc.oneof(requestSpec, aimed), { minLength: 1, maxLength: 20 });
}

function assertSameAnswers(routes: MatchEntry<number>[], requests: RequestSpec[]): void {
  const indexed = createRouteMatcher(routes);
  const linear = createLinearMatcher(routes);
  for (const spec of requests) {
    const req = request(spec);
    const expected = referenceMatch(routes, req);
    expect(linear.match(req), `linear: ${JSON.stringify(spec)}`).toEqual(expected);
    expect(indexed.match(req), `indexed: ${JSON.stringify(spec)}`).toEqual(expected);
  }
}

describe('linear and indexed matchers ≡ the reference of the spec’s order', () => {
  it('on random route sets and requests', () => {
    fc.assert(
      fc.property(
        entries(30).chain((routes) => fc.tuple(fc.constant(routes), requestsFor(routes))),
        ([routes, requests]) => assertSameAnswers(routes, requests),
      ),
      { numRuns: 500 },
    );
  });

  it('on crowded paths told apart by header and query values', () => {
    // One host, few paths: large candidate sets, which the indexed matcher splits by value.
    const crowded = fc
      .array(
        fc.record({
          hosts: fc.constant<string[]>(['*']),
          path: fc.constantFrom<PathMatch>(
            { kind: 'prefix', value: '/a' },
            { kind: 'exact', value: '/a/b' },
            { kind: 'template', value: '/a/{x}' },
            { kind: 'regex', value: '/a/.*' },
            { kind: 'regex', value: '/a/b|/c' },
          ),
          methods: fc.subarray(['GET']),
          headers: fc.array(valueMatch(['x-a', 'x-b']), { maxLength: 3 }),
          query: fc.array(valueMatch(['q']), { maxLength: 2 }),
          order: fc.integer({ min: 0, max: 3 }),
        }),
        { minLength: 8, maxLength: 60 },
      )
      .map((specs): MatchEntry<number>[] => specs.map((spec, target) => ({ ...spec, target })));
    const crowdedRequest = requestSpec.map((spec) => ({ ...spec, path: '/a/b' }));
    fc.assert(
      fc.property(crowded, fc.array(crowdedRequest, { minLength: 1, maxLength: 20 }), assertSameAnswers),
      { numRuns: 300 },
    );
  });
});
