// The indexed matcher must answer exactly like the linear reference on any route set.
// Small alphabets (hosts, segments, header values) make routes collide, so precedence,
// host buckets, trie branches and header-value splits all get exercised.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createRouteMatcher } from './indexed-matcher.ts';
import { createLinearMatcher } from './linear-matcher.ts';
import { request } from '../../test/conformance/route-matcher.cases.ts';
import type { RequestSpec } from '../../test/conformance/route-matcher.cases.ts';
import type { MatchEntry, PathMatch, ValueMatch } from './types.ts';

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

const entries = (maxLength: number) =>
  fc.array(entrySpec, { maxLength }).map((specs): MatchEntry<number>[] => specs.map((spec, target) => ({ ...spec, target })));

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
    expect(indexed.match(req), JSON.stringify(spec)).toEqual(linear.match(req));
  }
}

describe('indexed matcher ≡ linear matcher', () => {
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
