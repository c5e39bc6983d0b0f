// The one conformance suite every RouteMatcher implementation runs
// (core/route/matcher.test.ts runs it for the linear and the indexed matcher). Shared test
// cases, not a test file: named `.cases.ts` so vitest runs them only through an importer.

import { describe, expect, it } from 'vitest';
import type { MatchEntry, MatchRequest, RouteMatcher } from '../../core/route/types.ts';

export type MatcherFactory = <T>(entries: MatchEntry<T>[]) => RouteMatcher<T>;

type RouteSpec = Partial<Omit<MatchEntry<string>, 'target'>> & Pick<MatchEntry<string>, 'path'>;

/** An entry with defaults: any host, any method, no headers or query, order 0. */
export function route(target: string, spec: RouteSpec): MatchEntry<string> {
  return { hosts: ['*'], methods: [], headers: [], query: [], order: 0, ...spec, target };
}

export interface RequestSpec {
  host?: string;
  path?: string;
  method?: string;
  headers?: Record<string, string>;
  query?: Record<string, string>;
}

export function request(spec: RequestSpec = {}): MatchRequest {
  return {
    host: spec.host ?? 'example.com',
    path: spec.path ?? '/',
    method: spec.method ?? 'GET',
    headers: new Headers(spec.headers ?? {}),
    query: new URLSearchParams(spec.query ?? {}),
  };
}

const exact = (value: string) => ({ kind: 'exact', value }) as const;
const prefix = (value: string) => ({ kind: 'prefix', value }) as const;
const template = (value: string) => ({ kind: 'template', value }) as const;
const regex = (value: string) => ({ kind: 'regex', value }) as const;

interface PrecedenceRow {
  name: string;
  routes: MatchEntry<string>[];
  request: RequestSpec;
  winner: string | undefined;
}

const precedenceTable: PrecedenceRow[] = [
  {
    name: 'path kind: exact beats template, prefix, regex',
    routes: [
      route('regex', { path: regex('/users/.*') }),
      route('prefix', { path: prefix('/users') }),
      route('template', { path: template('/users/{id}') }),
      route('exact', { path: exact('/users/42') }),
    ],
    request: { path: '/users/42' },
    winner: 'exact',
  },
  {
    name: 'path kind: template beats prefix and regex',
    routes: [
      route('regex', { path: regex('/users/.*') }),
      route('prefix', { path: prefix('/users/42') }),
      route('template', { path: template('/users/{id}') }),
    ],
    request: { path: '/users/42' },
    winner: 'template',
  },
  {
    name: 'path kind: prefix beats regex',
    routes: [route('regex', { path: regex('/users/42'), order: -1 }), route('prefix', { path: prefix('/') })],
    request: { path: '/users/42' },
    winner: 'prefix',
  },
  {
    name: 'path kind beats conditions and order',
    routes: [
      route('prefix', { path: prefix('/a'), methods: ['GET'], headers: [{ name: 'x', kind: 'present' }], order: 0 }),
      route('exact', { path: exact('/a'), order: 9 }),
    ],
    request: { path: '/a', headers: { x: '1' } },
    winner: 'exact',
  },
  {
    name: 'grpc: a service and method (exact path) beat the whole service (prefix) with headers',
    routes: [
      route('service+header', { path: prefix('/helloworld.Greeter'), headers: [{ name: 'x-tenant', kind: 'present' }] }),
      route('service+method', { path: exact('/helloworld.Greeter/SayHello'), order: 1 }),
    ],
    request: { method: 'POST', path: '/helloworld.Greeter/SayHello', headers: { 'x-tenant': 'a' } },
    winner: 'service+method',
  },
  {
    name: 'template: a literal beats a parameter',
    routes: [route('param', { path: template('/users/{id}') }), route('literal', { path: template('/users/me') })],
    request: { path: '/users/me' },
    winner: 'literal',
  },
  {
    name: 'template: the parameter still matches other values',
    routes: [route('param', { path: template('/users/{id}') }), route('literal', { path: template('/users/me') })],
    request: { path: '/users/7' },
    winner: 'param',
  },
  {
    name: 'template: the first differing position decides, not the count of literals',
    routes: [route('more-literals', { path: template('/{a}/b/c') }), route('first-literal', { path: template('/a/{b}/{c}') })],
    request: { path: '/a/b/c' },
    winner: 'first-literal',
  },
  {
    name: 'template: literal at position 1 beats parameter at position 1',
    routes: [route('param-second', { path: template('/{a}/{b}/y') }), route('literal-second', { path: template('/{a}/x/{b}') })],
    request: { path: '/p/x/y' },
    winner: 'literal-second',
  },
  {
    name: 'template: same shape, then a method match',
    routes: [
      route('plain', { path: template('/u/{id}') }),
      route('with-method', { path: template('/u/{name}'), methods: ['GET'], order: 5 }),
    ],
    request: { path: '/u/1' },
    winner: 'with-method',
  },
  {
    name: 'prefix: more segments first',
    routes: [route('short', { path: prefix('/api') }), route('long', { path: prefix('/api/v1') }), route('root', { path: prefix('/') })],
    request: { path: '/api/v1/users' },
    winner: 'long',
  },
  {
    name: 'prefix: segment-based, /api/v1 does not match /api/v10',
    routes: [route('short', { path: prefix('/api') }), route('long', { path: prefix('/api/v1') })],
    request: { path: '/api/v10' },
    winner: 'short',
  },
  {
    name: 'prefix: a trailing slash on the prefix is ignored',
    routes: [route('root', { path: prefix('/') }), route('slash', { path: prefix('/foo/') })],
    request: { path: '/foo' },
    winner: 'slash',
  },
  {
    name: 'prefix: longer prefix beats a method and headers',
    routes: [
      route('short-conditions', { path: prefix('/a'), methods: ['GET'], headers: [{ name: 'x', kind: 'present' }] }),
      route('long', { path: prefix('/a/b'), order: 3 }),
    ],
    request: { path: '/a/b/c', headers: { x: '1' } },
    winner: 'long',
  },
  {
    name: 'conditions: method and header beat the method alone',
    routes: [
      route('method', { path: prefix('/'), methods: ['GET'], order: 0 }),
      route('method+header', { path: prefix('/'), methods: ['GET'], headers: [{ name: 'x', kind: 'present' }], order: 1 }),
    ],
    request: { headers: { x: '' } },
    winner: 'method+header',
  },
  {
    name: 'conditions: a method match beats any number of header matches (compared in turn, not summed)',
    routes: [
      route('two-headers', { path: prefix('/'), headers: [{ name: 'x', kind: 'present' }, { name: 'y', kind: 'present' }], order: 0 }),
      route('method', { path: prefix('/'), methods: ['GET'], order: 1 }),
    ],
    request: { headers: { x: '1', y: '1' } },
    winner: 'method',
  },
  {
    name: 'conditions: more header matches beat more query matches',
    routes: [
      route('header+two-query', {
        path: prefix('/'),
        headers: [{ name: 'x', kind: 'present' }],
        query: [{ name: 'q', kind: 'present' }, { name: 'r', kind: 'present' }],
        order: 0,
      }),
      route('two-headers', { path: prefix('/'), headers: [{ name: 'x', kind: 'present' }, { name: 'y', kind: 'present' }], order: 1 }),
    ],
    request: { headers: { x: '1', y: '1' }, query: { q: '1', r: '1' } },
    winner: 'two-headers',
  },
  {
    name: 'conditions: with a method on both, header matches decide before query matches',
    routes: [
      route('method+two-query', { path: exact('/'), methods: ['GET'], query: [{ name: 'q', kind: 'present' }, { name: 'r', kind: 'present' }], order: 0 }),
      route('method+header', { path: exact('/'), methods: ['GET', 'POST'], headers: [{ name: 'x', kind: 'present' }], order: 1 }),
    ],
    request: { headers: { x: '1' }, query: { q: '1', r: '1' } },
    winner: 'method+header',
  },
  {
    name: 'conditions: query conditions count too',
    routes: [
      route('header', { path: exact('/'), headers: [{ name: 'x', kind: 'present' }], order: 0 }),
      route('header+query', { path: exact('/'), headers: [{ name: 'x', kind: 'present' }], query: [{ name: 'q', kind: 'exact', value: '1' }], order: 1 }),
    ],
    request: { headers: { x: '1' }, query: { q: '1' } },
    winner: 'header+query',
  },
  {
    name: 'conditions: the more specific entry falls through when its conditions fail',
    routes: [
      route('exact-needs-header', { path: exact('/a'), headers: [{ name: 'x', kind: 'exact', value: 'yes' }] }),
      route('prefix', { path: prefix('/') }),
    ],
    request: { path: '/a', headers: { x: 'no' } },
    winner: 'prefix',
  },
  {
    name: 'order: lower order first, whatever the list position',
    routes: [route('later', { path: prefix('/'), order: 2 }), route('earlier', { path: prefix('/'), order: 1 })],
    request: {},
    winner: 'earlier',
  },
  {
    name: 'order: identical match blocks, the lower order wins',
    routes: [
      route('second', { path: prefix('/a'), methods: ['GET'], headers: [{ name: 'x', kind: 'exact', value: '1' }], order: 4 }),
      route('first', { path: prefix('/a'), methods: ['GET'], headers: [{ name: 'x', kind: 'exact', value: '1' }], order: 3 }),
    ],
    request: { path: '/a/b', headers: { x: '1' } },
    winner: 'first',
  },
  {
    name: 'order: a tie goes to the earlier entry in the list',
    routes: [route('first', { path: prefix('/'), order: 1 }), route('second', { path: prefix('/'), order: 1 })],
    request: {},
    winner: 'first',
  },
  {
    name: 'regex: no within-kind order, so a method match then order decide',
    routes: [
      route('broad', { path: regex('/.*'), order: 0 }),
      route('narrow-later', { path: regex('/a/.*'), order: 1 }),
      route('narrow-method', { path: regex('/a/[0-9]+'), methods: ['GET'], order: 2 }),
    ],
    request: { path: '/a/12' },
    winner: 'narrow-method',
  },
  {
    name: 'regex: order among regexes with the same conditions',
    routes: [route('broad', { path: regex('/.*'), order: 0 }), route('narrow', { path: regex('/a/.*'), order: 1 })],
    request: { path: '/a/12' },
    winner: 'broad',
  },
  {
    name: 'regex: a later regex can hold a better candidate when the first one fails its conditions',
    routes: [
      route('first-needs-header', { path: regex('/a/.*'), headers: [{ name: 'x', kind: 'present' }], order: 0 }),
      route('same-regex-late', { path: regex('/a/.*'), order: 5 }),
      route('other-regex', { path: regex('/a/b'), order: 1 }),
    ],
    request: { path: '/a/b' },
    winner: 'other-regex',
  },
  {
    name: 'host: exact host beats a more specific path on a wildcard host',
    routes: [
      route('wildcard-exact-path', { hosts: ['*.example.com'], path: exact('/a') }),
      route('exact-host-root', { hosts: ['api.example.com'], path: prefix('/') }),
    ],
    request: { host: 'api.example.com', path: '/a' },
    winner: 'exact-host-root',
  },
  {
    name: 'host: a longer wildcard suffix beats a shorter one',
    routes: [
      route('short', { hosts: ['*.example.com'], path: exact('/a') }),
      route('long', { hosts: ['*.b.example.com'], path: prefix('/') }),
    ],
    request: { host: 'a.b.example.com', path: '/a' },
    winner: 'long',
  },
  {
    name: 'host: a wildcard beats *',
    routes: [route('any', { hosts: ['*'], path: exact('/a') }), route('wildcard', { hosts: ['*.example.com'], path: prefix('/') })],
    request: { host: 'a.example.com', path: '/a' },
    winner: 'wildcard',
  },
  {
    name: 'host: falls through to the next bucket when the exact host has no match',
    routes: [
      route('exact-host', { hosts: ['a.example.com'], path: exact('/other') }),
      route('wildcard', { hosts: ['*.example.com'], path: exact('/a') }),
      route('any', { path: prefix('/') }),
    ],
    request: { host: 'a.example.com', path: '/a' },
    winner: 'wildcard',
  },
  {
    name: 'host: an entry with several hosts ranks by its most specific matching host',
    routes: [
      route('wildcard', { hosts: ['*.example.com'], path: exact('/a') }),
      route('any-or-exact', { hosts: ['*', 'a.example.com'], path: prefix('/') }),
    ],
    request: { host: 'a.example.com', path: '/a' },
    winner: 'any-or-exact',
  },
  {
    name: 'host: a wildcard never matches its own apex',
    routes: [route('wildcard', { hosts: ['*.example.com'], path: prefix('/') }), route('any', { path: prefix('/'), order: 9 })],
    request: { host: 'example.com' },
    winner: 'any',
  },
  {
    name: 'no match',
    routes: [route('a', { path: exact('/a') }), route('b', { hosts: ['b.example.com'], path: prefix('/') })],
    request: { path: '/b' },
    winner: undefined,
  },
];

export function describeRouteMatcherConformance(name: string, create: MatcherFactory): void {
  const winner = (routes: MatchEntry<string>[], spec: RequestSpec) => create(routes).match(request(spec))?.target;

  describe(`${name}: route matcher conformance`, () => {
    describe('precedence', () => {
      it.each(precedenceTable.map((row) => [row.name, row] as const))('%s', (_name, row) => {
        expect(winner(row.routes, row.request)).toBe(row.winner);
      });

      it('is independent of the order of the entries list (except exact ties)', () => {
        for (const row of precedenceTable) {
          if (row.name.startsWith('order: a tie')) continue;
          expect(winner([...row.routes].reverse(), row.request), row.name).toBe(row.winner);
        }
      });
    });

    describe('hosts', () => {
      const routes = [
        route('wildcard', { hosts: ['*.example.com'], path: prefix('/') }),
        route('exact', { hosts: ['api.example.org'], path: prefix('/') }),
      ];
      it.each([
        ['a.example.com', 'wildcard'],
        ['a.b.example.com', 'wildcard'],
        ['example.com', undefined],
        ['.example.com', undefined],
        ['aexample.com', undefined],
        ['a.example.com.evil', undefined],
        ['api.example.org', 'exact'],
        ['x.api.example.org', undefined],
      ])('%s → %s', (host, expected) => {
        expect(winner(routes, { host })).toBe(expected);
      });

      it('* and an empty hosts list match any host', () => {
        expect(winner([route('star', { hosts: ['*'], path: prefix('/') })], { host: 'anything.test' })).toBe('star');
        expect(winner([route('none', { hosts: [], path: prefix('/') })], { host: 'anything.test' })).toBe('none');
      });

      it('matches any of several hosts', () => {
        const routes = [route('both', { hosts: ['a.test', 'b.test'], path: prefix('/') })];
        expect(winner(routes, { host: 'a.test' })).toBe('both');
        expect(winner(routes, { host: 'b.test' })).toBe('both');
        expect(winner(routes, { host: 'c.test' })).toBeUndefined();
      });
    });

    describe('paths', () => {
      it.each([
        [exact('/a'), '/a', true],
        [exact('/a'), '/a/', false],
        [exact('/a/'), '/a/', true],
        [exact('/A'), '/a', false],
        [prefix('/foo'), '/foo', true],
        [prefix('/foo'), '/foo/', true],
        [prefix('/foo'), '/foo/bar', true],
        [prefix('/foo'), '/foobar', false],
        [prefix('/foo/'), '/foo', true],
        [prefix('/foo/bar'), '/foo', false],
        [prefix('/'), '/', true],
        [prefix('/'), '/anything/at/all', true],
        [template('/users/{id}'), '/users/42', true],
        [template('/users/{id}'), '/users/42/', false],
        [template('/users/{id}'), '/users/', false],
        [template('/users/{id}'), '/users/42/x', false],
        [template('/users/{id}/'), '/users/42/', true],
        [template('/'), '/', true],
        [template('/{id}'), '/', false],
        [regex('/a'), '/ab', false],
        [regex('/a|/b'), '/ab', false],
        [regex('/a|/b'), '/b', true],
        [regex('/a.*'), '/abc', true],
        [regex('.*/c'), '/a/b/c', true],
      ] as const)('%o against %s → %s', (path, requestPath, matches) => {
        expect(winner([route('r', { path })], { path: requestPath })).toBe(matches ? 'r' : undefined);
      });
    });

    describe('params', () => {
      it('captures template parameters', () => {
        const matcher = create([route('r', { path: template('/users/{id}/orders/{order_id}') })]);
        expect(matcher.match(request({ path: '/users/42/orders/a%20b' }))).toEqual({
          target: 'r',
          params: { id: '42', order_id: 'a%20b' },
        });
      });

      it("returns the winner's parameter names", () => {
        const matcher = create([
          route('by-id', { path: template('/u/{id}'), order: 2 }),
          route('by-name', { path: template('/u/{name}'), order: 1 }),
        ]);
        expect(matcher.match(request({ path: '/u/x' }))).toEqual({ target: 'by-name', params: { name: 'x' } });
      });

      it('returns empty params for other kinds', () => {
        for (const path of [exact('/a'), prefix('/a'), regex('/a')]) {
          expect(create([route('r', { path })]).match(request({ path: '/a' }))).toEqual({ target: 'r', params: {} });
        }
      });

      it('captures a parameter named __proto__ as an own property', () => {
        const result = create([route('r', { path: template('/{__proto__}') })]).match(request({ path: '/x' }));
        expect(Object.keys(result?.params ?? {})).toEqual(['__proto__']);
        expect(result?.params['__proto__']).toBe('x');
      });
    });

    describe('conditions', () => {
      it('methods: empty means any, otherwise the method must be listed', () => {
        expect(winner([route('any', { path: prefix('/') })], { method: 'DELETE' })).toBe('any');
        const routes = [route('rw', { path: prefix('/'), methods: ['GET', 'POST'] })];
        expect(winner(routes, { method: 'POST' })).toBe('rw');
        expect(winner(routes, { method: 'PUT' })).toBeUndefined();
      });

      it.each([
        [{ name: 'x-env', kind: 'exact', value: 'prod' }, 'prod', true],
        [{ name: 'x-env', kind: 'exact', value: 'prod' }, 'Prod', false],
        [{ name: 'x-env', kind: 'exact', value: 'prod' }, undefined, false],
        [{ name: 'x-env', kind: 'prefix', value: 'pr' }, 'prod', true],
        [{ name: 'x-env', kind: 'prefix', value: 'pr' }, 'dev', false],
        [{ name: 'x-env', kind: 'prefix', value: '' }, '', true],
        [{ name: 'x-env', kind: 'regex', value: 'p.o' }, 'pro', true],
        [{ name: 'x-env', kind: 'regex', value: 'p.o' }, 'prod', false],
        [{ name: 'x-env', kind: 'regex', value: 'a|b' }, 'ab', false],
        [{ name: 'x-env', kind: 'present' }, '', true],
        [{ name: 'x-env', kind: 'present' }, undefined, false],
      ] as const)('header %o with value %s → %s', (condition, value, matches) => {
        const routes = [route('r', { path: prefix('/'), headers: [condition] })];
        const headers: Record<string, string> = value === undefined ? {} : { 'X-Env': value };
        expect(winner(routes, { headers })).toBe(matches ? 'r' : undefined);
        const query: Record<string, string> = value === undefined ? {} : { 'x-env': value };
        expect(winner([route('r', { path: prefix('/'), query: [condition] })], { query })).toBe(matches ? 'r' : undefined);
      });

      it('requires every condition (AND)', () => {
        const routes = [
          route('all', {
            path: prefix('/'),
            methods: ['GET'],
            headers: [{ name: 'a', kind: 'exact', value: '1' }],
            query: [{ name: 'q', kind: 'present' }],
          }),
        ];
        expect(winner(routes, { headers: { a: '1' }, query: { q: '' } })).toBe('all');
        expect(winner(routes, { method: 'POST', headers: { a: '1' }, query: { q: '' } })).toBeUndefined();
        expect(winner(routes, { headers: { a: '2' }, query: { q: '' } })).toBeUndefined();
        expect(winner(routes, { headers: { a: '1' } })).toBeUndefined();
      });
    });

    describe('many routes on one path, told apart by header values', () => {
      const tenants = Array.from({ length: 40 }, (_, i) =>
        route(`tenant-${i}`, { path: prefix('/svc'), headers: [{ name: 'x-tenant', kind: 'exact', value: `t${i}` }], order: 10 + i }),
      );
      const routes = [
        ...tenants,
        route('tenant-7-beta', {
          path: prefix('/svc'),
          headers: [
            { name: 'x-tenant', kind: 'exact', value: 't7' },
            { name: 'x-beta', kind: 'present' },
          ],
          order: 100,
        }),
        route('canary-any-tenant', {
          path: prefix('/svc'),
          headers: [{ name: 'x-canary', kind: 'exact', value: '1' }],
          query: [{ name: 'debug', kind: 'present' }],
          order: 200,
        }),
        route('early-any-tenant', { path: prefix('/svc'), headers: [{ name: 'x-any', kind: 'present' }], order: 0 }),
        route('never-two-values', {
          path: prefix('/svc'),
          headers: [
            { name: 'x-tenant', kind: 'exact', value: 't3' },
            { name: 'x-tenant', kind: 'exact', value: 't4' },
          ],
          order: -1,
        }),
        route('fallback', { path: prefix('/svc'), order: 1000 }),
      ];
      it.each([
        [{ 'x-tenant': 't3' }, {}, 'tenant-3'],
        [{ 'x-tenant': 't39' }, {}, 'tenant-39'],
        [{ 'x-tenant': 't7' }, {}, 'tenant-7'],
        [{ 'x-tenant': 't7', 'x-beta': '' }, {}, 'tenant-7-beta'],
        [{ 'x-tenant': 't3', 'x-canary': '1' }, { debug: '' }, 'canary-any-tenant'],
        [{ 'x-tenant': 't3', 'x-any': '1' }, {}, 'early-any-tenant'],
        [{ 'x-tenant': 't40' }, {}, 'fallback'],
        [{}, {}, 'fallback'],
      ] as const)('headers %o, query %o → %s', (headers, query, expected) => {
        expect(winner(routes, { path: '/svc/x', headers, query })).toBe(expected);
      });
    });

    describe('building', () => {
      it('matches nothing without entries', () => {
        expect(create([]).match(request())).toBeUndefined();
      });

      it.each([
        [regex('(unclosed'), /regex path/],
        [regex('a)|(b'), /regex path/],
        [template('/users/{id'), /parameter must be a whole segment/],
        [template('/users/x{id}'), /parameter must be a whole segment/],
        [template('/{id}/{id}'), /twice/],
        [exact('a'), /must start with "\/"/],
        [prefix(''), /must start with "\/"/],
      ] as const)('rejects %o', (path, message) => {
        expect(() => create([route('r', { path })])).toThrow(message);
      });

      it('rejects an invalid header regex', () => {
        expect(() => create([route('r', { path: prefix('/'), headers: [{ name: 'x', kind: 'regex', value: '[' }] })])).toThrow(/regex/);
      });
    });
  });
}
