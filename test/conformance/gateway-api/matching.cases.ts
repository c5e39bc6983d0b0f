// Gateway API conformance: path, header, query-parameter and method matching and their
// precedence, named rules, rules without backends.
//
// Translated from kubernetes-sigs/gateway-api, conformance/tests/ (commit 4564255a):
// httproute-simple-same-namespace, httproute-matching, httproute-matching-across-routes,
// httproute-exact-path-matching, httproute-path-match-order, httproute-header-matching,
// httproute-query-param-matching, httproute-method-matching, httproute-named-rule and
// httproute-omitted-backendrefs (.go cases, .yaml routes). Copyright The Kubernetes Authors,
// licensed under the Apache License, Version 2.0 (http://www.apache.org/licenses/LICENSE-2.0).
// Changes: the HTTPRoutes are written as Weft Route rules, the Go test cases as TypeScript data.
import { HOSTNAMES_AT_EDGE } from './limits.ts';
import type { ConformanceGroup } from './types.ts';

const V1 = 'infra-backend-v1';
const V2 = 'infra-backend-v2';
const V3 = 'infra-backend-v3';
const to = (service: string) => [{ service }];
const notFound = { response: { statusCode: 404 } } as const;

export const MATCHING_GROUPS: ConformanceGroup[] = [
  {
    test: 'HTTPRouteSimpleSameNamespace',
    source: ['httproute-simple-same-namespace.go', 'httproute-simple-same-namespace.yaml'],
    routes: [{ name: 'gateway-conformance-infra-test', rules: [{ backends: to(V1) }] }],
    cases: [{ testCaseName: 'Simple HTTP request should reach infra-backend', request: { path: '/' }, response: { statusCode: 200 }, backend: V1 }],
  },
  {
    test: 'HTTPRouteMatching',
    source: ['httproute-matching.go', 'httproute-matching.yaml'],
    routes: [
      {
        name: 'matching',
        rules: [
          { matches: [{ path: { prefix: '/' } }, { headers: [{ name: 'version', exact: 'one' }] }], backends: to(V1) },
          { matches: [{ path: { prefix: '/v2' } }, { headers: [{ name: 'version', exact: 'two' }] }], backends: to(V2) },
        ],
      },
    ],
    cases: [
      { request: { path: '/' }, backend: V1 },
      { request: { path: '/example' }, backend: V1 },
      { request: { path: '/', headers: { Version: 'one' } }, backend: V1 },
      { request: { path: '/v2' }, backend: V2 },
      { request: { path: '/v2/example' }, backend: V2 },
      { request: { path: '/', headers: { Version: 'two' } }, backend: V2 },
      { request: { path: '/v2/' }, backend: V2 },
      { request: { path: '/v2example' }, backend: V1 },
      { request: { path: '/foo/v2/example' }, backend: V1 },
    ],
  },
  {
    test: 'HTTPRouteMatchingAcrossRoutes',
    source: ['httproute-matching-across-routes.go', 'httproute-matching-across-routes.yaml'],
    only: HOSTNAMES_AT_EDGE,
    routes: [
      {
        name: 'matching-part1',
        hosts: ['example.com', 'example.net'],
        rules: [{ matches: [{ path: { prefix: '/' } }, { headers: [{ name: 'version', exact: 'one' }] }], backends: to(V1) }],
      },
      {
        name: 'matching-part2',
        hosts: ['example.com'],
        rules: [{ matches: [{ path: { prefix: '/v2' } }, { headers: [{ name: 'version', exact: 'two' }] }], backends: to(V2) }],
      },
    ],
    cases: [
      { request: { host: 'example.com', path: '/' }, backend: V1 },
      { request: { host: 'example.com', path: '/example' }, backend: V1 },
      { request: { host: 'example.net', path: '/example' }, backend: V1 },
      { request: { host: 'example.com', path: '/example', headers: { Version: 'one' } }, backend: V1 },
      { request: { host: 'example.com', path: '/v2' }, backend: V2 },
      { request: { host: 'example.net', path: '/v2' }, backend: V1 },
      { request: { host: 'example.com', path: '/v2/example' }, backend: V2 },
      { request: { host: 'example.com', path: '/', headers: { Version: 'two' } }, backend: V2 },
    ],
  },
  {
    test: 'HTTPRouteExactPathMatching',
    source: ['httproute-exact-path-matching.go', 'httproute-exact-path-matching.yaml'],
    routes: [
      {
        name: 'exact-matching',
        rules: [
          { matches: [{ path: { exact: '/one' } }], backends: to(V1) },
          { matches: [{ path: { exact: '/two' } }], backends: to(V2) },
        ],
      },
    ],
    cases: [
      { request: { path: '/one' }, backend: V1 },
      { request: { path: '/two' }, backend: V2 },
      { request: { path: '/' }, ...notFound },
      { request: { path: '/one/example' }, ...notFound },
      { request: { path: '/two/' }, ...notFound },
      { request: { path: '/Two' }, ...notFound },
    ],
  },
  {
    test: 'HTTPRoutePathMatchOrder',
    source: ['httproute-path-match-order.go', 'httproute-path-match-order.yaml'],
    routes: [
      {
        name: 'path-matching-order',
        rules: [
          { matches: [{ path: { exact: '/match' } }], backends: to(V1) },
          { matches: [{ path: { exact: '/match/exact' } }], backends: to(V2) },
          { matches: [{ path: { exact: '/match/exact/one' } }], backends: to(V3) },
          { matches: [{ path: { prefix: '/match/' } }], backends: to(V3) },
          { matches: [{ path: { prefix: '/match/prefix/' } }], backends: to(V1) },
          { matches: [{ path: { prefix: '/match/prefix/one' } }], backends: to(V2) },
        ],
      },
    ],
    cases: [
      { request: { path: '/match/exact/one' }, backend: V3 },
      { request: { path: '/match/exact' }, backend: V2 },
      { request: { path: '/match' }, backend: V1 },
      { request: { path: '/match/prefix/one/any' }, backend: V2 },
      { request: { path: '/match/prefix/any' }, backend: V1 },
      { request: { path: '/match/any' }, backend: V3 },
    ],
  },
  {
    test: 'HTTPRouteHeaderMatching',
    source: ['httproute-header-matching.go', 'httproute-header-matching.yaml'],
    routes: [
      {
        name: 'header-matching',
        rules: [
          { matches: [{ headers: [{ name: 'version', exact: 'one' }] }], backends: to(V1) },
          { matches: [{ headers: [{ name: 'version', exact: 'two' }] }], backends: to(V2) },
          { matches: [{ headers: [{ name: 'version', exact: 'two' }, { name: 'color', exact: 'orange' }] }], backends: to(V1) },
          { matches: [{ headers: [{ name: 'color', exact: 'blue' }] }, { headers: [{ name: 'color', exact: 'green' }] }], backends: to(V1) },
          { matches: [{ headers: [{ name: 'color', exact: 'red' }] }, { headers: [{ name: 'color', exact: 'yellow' }] }], backends: to(V2) },
        ],
      },
    ],
    cases: [
      { request: { path: '/', headers: { Version: 'one' } }, backend: V1 },
      { request: { path: '/', headers: { Version: 'two' } }, backend: V2 },
      { request: { path: '/', headers: { Version: 'two', Color: 'orange' } }, backend: V1 },
      { request: { path: '/', headers: { Version: 'two', Color: 'blue' } }, backend: V2 },
      { request: { path: '/', headers: { Color: 'orange' } }, ...notFound },
      { request: { path: '/', headers: { 'Some-Other-Header': 'one' } }, ...notFound },
      { request: { path: '/', headers: { Color: 'blue' } }, backend: V1 },
      { request: { path: '/', headers: { Color: 'green' } }, backend: V1 },
      { request: { path: '/', headers: { Color: 'red' } }, backend: V2 },
      { request: { path: '/', headers: { Color: 'yellow' } }, backend: V2 },
      { request: { path: '/', headers: { Color: 'purple' } }, ...notFound },
    ],
  },
  {
    test: 'HTTPRouteQueryParamMatching',
    source: ['httproute-query-param-matching.go', 'httproute-query-param-matching.yaml'],
    routes: [
      {
        name: 'query-param-matching',
        rules: [
          { matches: [{ query: [{ name: 'animal', exact: 'whale' }] }], backends: to(V1) },
          { matches: [{ query: [{ name: 'animal', exact: 'dolphin' }] }], backends: to(V2) },
          {
            matches: [{ query: [{ name: 'animal', exact: 'dolphin' }, { name: 'color', exact: 'blue' }] }, { query: [{ name: 'ANIMAL', exact: 'Whale' }] }],
            backends: to(V3),
          },
          // Combinations with core match types.
          { matches: [{ path: { prefix: '/path1' }, query: [{ name: 'animal', exact: 'whale' }] }], backends: to(V1) },
          { matches: [{ headers: [{ name: 'version', exact: 'one' }], query: [{ name: 'animal', exact: 'whale' }] }], backends: to(V2) },
          { matches: [{ path: { prefix: '/path2' }, headers: [{ name: 'version', exact: 'two' }], query: [{ name: 'animal', exact: 'whale' }] }], backends: to(V3) },
          // (cond1 AND cond2) OR (cond3 AND cond4 AND cond5)
          {
            matches: [
              { path: { prefix: '/path3' }, query: [{ name: 'animal', exact: 'shark' }] },
              { path: { prefix: '/path4' }, headers: [{ name: 'version', exact: 'three' }], query: [{ name: 'animal', exact: 'kraken' }] },
            ],
            backends: to(V1),
          },
          // Matches for checking precedence.
          { matches: [{ path: { prefix: '/path5' } }], backends: to(V1) },
          { matches: [{ query: [{ name: 'animal', exact: 'hydra' }] }], backends: to(V2) },
          { matches: [{ headers: [{ name: 'version', exact: 'four' }] }], backends: to(V3) },
        ],
      },
    ],
    cases: [
      { request: { path: '/?animal=whale' }, backend: V1 },
      { request: { path: '/?animal=dolphin' }, backend: V2 },
      { request: { path: '/?animal=dolphin&color=blue' }, backend: V3 },
      { request: { path: '/?ANIMAL=Whale' }, backend: V3 },
      { request: { path: '/?animal=whale&otherparam=irrelevant' }, backend: V1 },
      { request: { path: '/?animal=dolphin&color=yellow' }, backend: V2 },
      { request: { path: '/?color=blue' }, ...notFound },
      { request: { path: '/?animal=dog' }, ...notFound },
      { request: { path: '/?animal=whaledolphin' }, ...notFound },
      { request: { path: '/' }, ...notFound },
      { request: { path: '/path1?animal=whale' }, backend: V1 },
      { request: { headers: { version: 'one' }, path: '/?animal=whale' }, backend: V2 },
      { request: { headers: { version: 'two' }, path: '/path2?animal=whale' }, backend: V3 },
      { request: { path: '/path3?animal=shark' }, backend: V1 },
      { request: { headers: { version: 'three' }, path: '/path4?animal=kraken' }, backend: V1 },
      { request: { path: '/?animal=shark' }, ...notFound },
      { request: { path: '/path4?animal=kraken' }, ...notFound },
      { request: { path: '/path5?animal=hydra' }, backend: V1 },
      { request: { headers: { version: 'four' }, path: '/?animal=hydra' }, backend: V3 },
    ],
  },
  {
    test: 'HTTPRouteMethodMatching',
    source: ['httproute-method-matching.go', 'httproute-method-matching.yaml'],
    routes: [
      {
        name: 'method-matching',
        rules: [
          { matches: [{ methods: ['POST'] }], backends: to(V1) },
          { matches: [{ methods: ['GET'] }], backends: to(V2) },
          // Combinations with core match types.
          { matches: [{ path: { prefix: '/path1' }, methods: ['GET'] }], backends: to(V1) },
          { matches: [{ headers: [{ name: 'version', exact: 'one' }], methods: ['PUT'] }], backends: to(V2) },
          { matches: [{ path: { prefix: '/path2' }, headers: [{ name: 'version', exact: 'two' }], methods: ['POST'] }], backends: to(V3) },
          // (cond1 AND cond2) OR (cond3 AND cond4 AND cond5)
          {
            matches: [
              { path: { prefix: '/path3' }, methods: ['PATCH'] },
              { path: { prefix: '/path4' }, headers: [{ name: 'version', exact: 'three' }], methods: ['DELETE'] },
            ],
            backends: to(V1),
          },
          // Matches for checking precedence.
          { matches: [{ path: { prefix: '/path5' } }], backends: to(V1) },
          { matches: [{ methods: ['PATCH'] }], backends: to(V2) },
          { matches: [{ headers: [{ name: 'version', exact: 'four' }] }], backends: to(V3) },
        ],
      },
    ],
    cases: [
      { request: { method: 'POST', path: '/' }, backend: V1 },
      { request: { method: 'GET', path: '/' }, backend: V2 },
      { request: { method: 'HEAD', path: '/' }, ...notFound },
      { request: { path: '/path1', method: 'GET' }, backend: V1 },
      { request: { headers: { version: 'one' }, path: '/', method: 'PUT' }, backend: V2 },
      { request: { headers: { version: 'two' }, path: '/path2', method: 'POST' }, backend: V3 },
      { request: { path: '/path3', method: 'PATCH' }, backend: V1 },
      { request: { headers: { version: 'three' }, path: '/path4', method: 'DELETE' }, backend: V1 },
      { request: { path: '/', method: 'PUT' }, ...notFound },
      { request: { path: '/path4', method: 'DELETE' }, ...notFound },
      { request: { path: '/path5', method: 'PATCH' }, backend: V1 },
      { request: { headers: { version: 'four' }, path: '/', method: 'PATCH' }, backend: V2 },
    ],
  },
  {
    test: 'HTTPRouteNamedRule',
    source: ['httproute-named-rule.go', 'httproute-named-rule.yaml'],
    routes: [
      {
        name: 'http-named-rules',
        rules: [
          { name: 'named-rule', matches: [{ path: { prefix: '/named' } }], backends: to(V1) },
          { matches: [{ path: { prefix: '/unnamed' } }], backends: to(V2) },
        ],
      },
    ],
    cases: [
      { request: { path: '/named' }, response: { statusCode: 200 } },
      { request: { path: '/unnamed' }, response: { statusCode: 200 } },
    ],
  },
  {
    test: 'HTTPRouteNoBackendRefs',
    source: ['httproute-omitted-backendrefs.go', 'httproute-omitted-backendrefs.yaml'],
    routes: [
      {
        name: 'omitted-backendrefs',
        rules: [
          { matches: [{ path: { exact: '/omitted-no-forward' } }] },
          { matches: [{ path: { exact: '/empty-no-forward' } }], backends: [] },
          { matches: [{ path: { prefix: '/' } }], backends: to(V1) },
        ],
      },
    ],
    cases: [
      { request: { path: '/forward' }, backend: V1 },
      { request: { path: '/omitted-no-forward' }, response: { statusCode: 500 } },
      { request: { path: '/empty-no-forward' }, response: { statusCode: 500 } },
    ],
  },
];
