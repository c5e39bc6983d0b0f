// Gateway API conformance: URLRewrite of the hostname and the path (ReplaceFullPath,
// ReplacePrefixMatch), alone and with request header modifiers. Weft: `rewrite: { host, path,
// pathPrefix }` on the rule.
//
// Translated from kubernetes-sigs/gateway-api, conformance/tests/ (commit 4564255a):
// httproute-rewrite-host, httproute-rewrite-path and httproute-backend-url-rewrite (.go cases,
// .yaml routes). Copyright The Kubernetes Authors, licensed under the Apache License, Version
// 2.0 (http://www.apache.org/licenses/LICENSE-2.0). Changes: the HTTPRoutes are written as Weft
// Route rules, the Go test cases as TypeScript data.
import type { ConformanceGroup } from './types.ts';

const V1 = 'infra-backend-v1';
const V2 = 'infra-backend-v2';

const MODIFY = { set: { 'X-Header-Set': 'set-overwrites-values' }, add: { 'X-Header-Add': 'header-val-1', 'X-Header-Add-Append': 'header-val-2' }, remove: ['X-Header-Remove'] };
const MODIFIED = { 'X-Header-Add': 'header-val-1', 'X-Header-Add-Append': 'append-val-1,header-val-2', 'X-Header-Set': 'set-overwrites-values' };

export const REWRITE_GROUPS: ConformanceGroup[] = [
  {
    test: 'HTTPRouteRewriteHost',
    source: ['httproute-rewrite-host.go', 'httproute-rewrite-host.yaml'],
    translation: 'In the mesh the route governs calls to the service, and every case calls it (its one hostname, rewrite.example, is the edge’s).',
    routes: [
      {
        name: 'rewrite-host',
        hosts: ['rewrite.example'],
        rules: [
          { matches: [{ path: { prefix: '/one' } }], rewrite: { host: 'one.example.org' }, backends: [{ service: V1 }] },
          { rewrite: { host: 'example.org' }, backends: [{ service: V2 }] },
          { matches: [{ path: { prefix: '/rewrite-host-and-modify-headers' } }], rewrite: { host: 'test.example.org' }, requestHeaders: MODIFY, backends: [{ service: V2 }] },
        ],
      },
    ],
    cases: [
      { request: { path: '/one', host: 'rewrite.example' }, expectedRequest: { path: '/one', host: 'one.example.org' }, backend: V1 },
      { request: { path: '/two', host: 'rewrite.example' }, expectedRequest: { path: '/two', host: 'example.org' }, backend: V2 },
      {
        request: { path: '/rewrite-host-and-modify-headers', host: 'rewrite.example', headers: { 'X-Header-Remove': 'remove-val', 'X-Header-Add-Append': 'append-val-1' } },
        expectedRequest: { path: '/rewrite-host-and-modify-headers', host: 'test.example.org', headers: MODIFIED, absentHeaders: ['X-Header-Remove'] },
        backend: V2,
      },
    ],
  },
  {
    test: 'HTTPRouteRewritePath',
    source: ['httproute-rewrite-path.go', 'httproute-rewrite-path.yaml'],
    routes: [
      {
        name: 'rewrite-path',
        rules: [
          { matches: [{ path: { prefix: '/prefix/one' } }], rewrite: { pathPrefix: '/one' }, backends: [{ service: V1 }] },
          { matches: [{ path: { prefix: '/strip-prefix' } }], rewrite: { pathPrefix: '/' }, backends: [{ service: V1 }] },
          { matches: [{ path: { prefix: '/full/one' } }], rewrite: { path: '/one' }, backends: [{ service: V1 }] },
          { matches: [{ path: { prefix: '/full/rewrite-path-and-modify-headers' } }], rewrite: { path: '/test' }, requestHeaders: MODIFY, backends: [{ service: V1 }] },
          { matches: [{ path: { prefix: '/prefix/rewrite-path-and-modify-headers' } }], rewrite: { pathPrefix: '/prefix' }, requestHeaders: MODIFY, backends: [{ service: V1 }] },
        ],
      },
    ],
    cases: [
      { request: { path: '/prefix/one/two' }, expectedRequest: { path: '/one/two' }, backend: V1 },
      { request: { path: '/strip-prefix/three' }, expectedRequest: { path: '/three' }, backend: V1 },
      { request: { path: '/strip-prefix' }, expectedRequest: { path: '/' }, backend: V1 },
      { request: { path: '/full/one/two' }, expectedRequest: { path: '/one' }, backend: V1 },
      {
        request: { path: '/full/rewrite-path-and-modify-headers/test', headers: { 'X-Header-Remove': 'remove-val', 'X-Header-Add-Append': 'append-val-1', 'X-Header-Set': 'set-val' } },
        expectedRequest: { path: '/test', headers: MODIFIED, absentHeaders: ['X-Header-Remove'] },
        backend: V1,
      },
      {
        request: { path: '/prefix/rewrite-path-and-modify-headers/one', headers: { 'X-Header-Remove': 'remove-val', 'X-Header-Add-Append': 'append-val-1', 'X-Header-Set': 'set-val' } },
        expectedRequest: { path: '/prefix/one', headers: MODIFIED, absentHeaders: ['X-Header-Remove'] },
        backend: V1,
      },
    ],
  },
  {
    test: 'HTTPRouteBackendURLRewrite',
    source: ['httproute-backend-url-rewrite.go', 'httproute-backend-url-rewrite.yaml'],
    translation: 'A URLRewrite on the only backendRef of a rule acts on every request of the rule: written as the rule’s rewrite.',
    routes: [
      {
        name: 'backend-url-rewrite',
        rules: [
          { matches: [{ path: { prefix: '/full' } }], rewrite: { path: '/rewritten-full' }, backends: [{ service: V1 }] },
          { matches: [{ path: { prefix: '/prefix' } }], rewrite: { pathPrefix: '/rewritten-prefix' }, backends: [{ service: V1 }] },
        ],
      },
    ],
    cases: [
      { request: { path: '/full/original' }, expectedRequest: { path: '/rewritten-full' }, backend: V1 },
      { request: { path: '/prefix/original' }, expectedRequest: { path: '/rewritten-prefix/original' }, backend: V1 },
    ],
  },
];
