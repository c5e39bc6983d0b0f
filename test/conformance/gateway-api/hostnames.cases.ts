// Gateway API conformance: which hostnames a route serves, from its own hostnames and those of
// the listeners it attaches to. Weft has no listeners: an edge route's hosts are the
// intersection the Gateway would compute (contract of `weft import gateway-api`), and a route
// whose hostnames intersect no listener is not written at all.
//
// Translated from kubernetes-sigs/gateway-api, conformance/tests/ (commit 4564255a):
// httproute-hostname-intersection and httproute-listener-hostname-matching (.go cases, .yaml
// Gateways and routes). Copyright The Kubernetes Authors, licensed under the Apache License,
// Version 2.0 (http://www.apache.org/licenses/LICENSE-2.0). Changes: the HTTPRoutes are written
// as Weft Route rules with the intersected hosts, the Go test cases as TypeScript data.
import { HOSTNAMES_AT_EDGE } from './limits.ts';
import type { ConformanceGroup, WeftRoute } from './types.ts';

const V1 = 'infra-backend-v1';
const V2 = 'infra-backend-v2';
const V3 = 'infra-backend-v3';
const notFound = { response: { statusCode: 404 } } as const;
const SOURCE = ['httproute-hostname-intersection.go', 'httproute-hostname-intersection.yaml'];

// Gateway httproute-hostname-intersection: listeners very.specific.com, *.wildcard.io,
// *.anotherwildcard.io. Gateway httproute-hostname-intersection-all: one listener, no hostname.
// Route no-intersecting-hosts (specific.but.wrong.com, wildcard.io) meets no listener: not written.
const INTERSECTION_ROUTES: WeftRoute[] = [
  // non.matching.com, *.nonmatchingwildcard.io, very.specific.com
  { name: 'specific-host-matches-listener-specific-host', hosts: ['very.specific.com'], rules: [{ matches: [{ path: { prefix: '/s1' } }], backends: [{ service: V1 }] }] },
  // non.matching.com, wildcard.io, foo.wildcard.io, bar.wildcard.io, foo.bar.wildcard.io
  {
    name: 'specific-host-matches-listener-wildcard-host',
    hosts: ['foo.wildcard.io', 'bar.wildcard.io', 'foo.bar.wildcard.io'],
    rules: [{ matches: [{ path: { prefix: '/s2' } }], backends: [{ service: V2 }] }],
  },
  // non.matching.com, *.specific.com
  { name: 'wildcard-host-matches-listener-specific-host', hosts: ['very.specific.com'], rules: [{ matches: [{ path: { prefix: '/s3' } }], backends: [{ service: V3 }] }] },
  { name: 'wildcard-host-matches-listener-wildcard-host', hosts: ['*.anotherwildcard.io'], rules: [{ matches: [{ path: { prefix: '/s4' } }], backends: [{ service: V1 }] }] },
  { name: 'httproute-hostname-intersection-all', hosts: ['first.com', 'sub.first.com', 'second.com', 'sub.second.com'], rules: [{ backends: [{ service: V2 }] }] },
];

export const HOSTNAME_GROUPS: ConformanceGroup[] = [
  {
    test: 'HTTPRouteHostnameIntersection/HTTPRoutes that do intersect with listener hostnames',
    source: SOURCE,
    only: HOSTNAMES_AT_EDGE,
    routes: INTERSECTION_ROUTES,
    cases: [
      { request: { host: 'very.specific.com', path: '/s1' }, backend: V1 },
      // The port in the Host header is not part of the hostname match.
      { request: { host: 'very.specific.com:1234', path: '/s1' }, backend: V1 },
      { request: { host: 'non.matching.com', path: '/s1' }, ...notFound },
      { request: { host: 'foo.nonmatchingwildcard.io', path: '/s1' }, ...notFound },
      { request: { host: 'foo.wildcard.io', path: '/s1' }, ...notFound },
      { request: { host: 'very.specific.com', path: '/non-matching-prefix' }, ...notFound },
      { request: { host: 'foo.wildcard.io', path: '/s2' }, backend: V2 },
      { request: { host: 'bar.wildcard.io', path: '/s2' }, backend: V2 },
      { request: { host: 'foo.bar.wildcard.io', path: '/s2' }, backend: V2 },
      { request: { host: 'non.matching.com', path: '/s2' }, ...notFound },
      { request: { host: 'wildcard.io', path: '/s2' }, ...notFound },
      { request: { host: 'very.specific.com', path: '/s2' }, ...notFound },
      { request: { host: 'foo.wildcard.io', path: '/non-matching-prefix' }, ...notFound },
      { request: { host: 'very.specific.com', path: '/s3' }, backend: V3 },
      { request: { host: 'non.matching.com', path: '/s3' }, ...notFound },
      { request: { host: 'foo.specific.com', path: '/s3' }, ...notFound },
      { request: { host: 'foo.wildcard.io', path: '/s3' }, ...notFound },
      { request: { host: 'very.specific.com', path: '/non-matching-prefix' }, ...notFound },
      { request: { host: 'foo.anotherwildcard.io', path: '/s4' }, backend: V1 },
      { request: { host: 'bar.anotherwildcard.io', path: '/s4' }, backend: V1 },
      { request: { host: 'foo.bar.anotherwildcard.io', path: '/s4' }, backend: V1 },
      { request: { host: 'anotherwildcard.io', path: '/s4' }, ...notFound },
      { request: { host: 'foo.wildcard.io', path: '/s4' }, ...notFound },
      { request: { host: 'very.specific.com', path: '/s4' }, ...notFound },
      { request: { host: 'foo.anotherwildcard.io', path: '/non-matching-prefix' }, ...notFound },
    ],
  },
  {
    test: 'HTTPRouteHostnameIntersection/HTTPRoutes that do not intersect with listener hostnames',
    source: SOURCE,
    only: HOSTNAMES_AT_EDGE,
    routes: INTERSECTION_ROUTES,
    cases: [
      { request: { host: 'specific.but.wrong.com', path: '/s5' }, ...notFound },
      { request: { host: 'wildcard.io', path: '/s5' }, ...notFound },
    ],
  },
  {
    test: 'HTTPRouteHostnameIntersection/HTTPRoutes intersects with an unspecified hostname listener',
    source: SOURCE,
    only: HOSTNAMES_AT_EDGE,
    routes: INTERSECTION_ROUTES,
    cases: [
      { request: { host: 'first.com', path: '/' }, backend: V2 },
      { request: { host: 'sub.first.com', path: '/' }, backend: V2 },
      { request: { host: 'second.com', path: '/' }, backend: V2 },
      { request: { host: 'sub.second.com', path: '/' }, backend: V2 },
      { request: { host: 'third.com', path: '/' }, ...notFound },
      { request: { host: 'sub.third.com', path: '/' }, ...notFound },
    ],
  },
  {
    test: 'HTTPRouteListenerHostnameMatching',
    source: ['httproute-listener-hostname-matching.go', 'httproute-listener-hostname-matching.yaml'],
    only: HOSTNAMES_AT_EDGE,
    // Each route attaches to listeners by sectionName: its hosts are those listeners' hostnames.
    routes: [
      { name: 'backend-v1', hosts: ['bar.com'], rules: [{ backends: [{ service: V1 }] }] },
      { name: 'backend-v2', hosts: ['foo.bar.com'], rules: [{ backends: [{ service: V2 }] }] },
      { name: 'backend-v3', hosts: ['*.bar.com', '*.foo.com'], rules: [{ backends: [{ service: V3 }] }] },
    ],
    cases: [
      { request: { host: 'bar.com', path: '/' }, backend: V1 },
      { request: { host: 'foo.bar.com', path: '/' }, backend: V2 },
      { request: { host: 'baz.bar.com', path: '/' }, backend: V3 },
      { request: { host: 'boo.bar.com', path: '/' }, backend: V3 },
      { request: { host: 'multiple.prefixes.bar.com', path: '/' }, backend: V3 },
      { request: { host: 'multiple.prefixes.foo.com', path: '/' }, backend: V3 },
      { request: { host: 'foo.com', path: '/' }, ...notFound },
      { request: { host: 'no.matching.host', path: '/' }, ...notFound },
    ],
  },
];
