// Gateway API conformance: GRPCRoute method and header matching, named rules, request header
// modifiers and weights. Weft: `grpc: { service, method }` and `headers` matches on a rule.
// Upstream's client speaks native gRPC (HTTP/2) to the gateway; Weft's gateway takes gRPC as
// gRPC-Web only, so these run in the mesh, where the app's native gRPC calls go through its
// sidecar's outbound to gRPC backends (h2c).
//
// Translated from kubernetes-sigs/gateway-api, conformance/tests/ (commit 4564255a):
// grpcroute-exact-method-matching, grpcroute-header-matching, grpcroute-named-rule,
// grpcroute-request-header-modifier and grpcroute-weight (.go cases, .yaml routes). Copyright
// The Kubernetes Authors, licensed under the Apache License, Version 2.0
// (http://www.apache.org/licenses/LICENSE-2.0). Changes: the GRPCRoutes are written as Weft
// Route rules, the Go test cases as TypeScript data.
import { GRPC_IN_MESH } from './limits.ts';
import { GRPC_ECHO_SERVICE } from './types.ts';
import type { ConformanceGroup, GrpcCase } from './types.ts';

const G1 = 'grpc-infra-backend-v1';
const G2 = 'grpc-infra-backend-v2';
const G3 = 'grpc-infra-backend-v3';
const method = (m: string) => ({ grpc: { service: GRPC_ECHO_SERVICE, method: m } });
const AUTHORITY = GRPC_ECHO_SERVICE;
const headersCase = (metadata: Record<string, string>, backend: string): GrpcCase => ({ kind: 'grpc', method: 'Echo', requestMetadata: { metadata }, backend });
const unmatched = (metadata: Record<string, string>): GrpcCase => ({ kind: 'grpc', method: 'Echo', requestMetadata: { metadata }, code: 12, only: GRPC_IN_MESH });

export const GRPC_GROUPS: ConformanceGroup[] = [
  {
    test: 'GRPCExactMethodMatching',
    source: ['grpcroute-exact-method-matching.go', 'grpcroute-exact-method-matching.yaml'],
    only: GRPC_IN_MESH,
    routes: [
      {
        name: 'exact-matching',
        rules: [
          { matches: [method('Echo')], backends: [{ service: G1 }] },
          { matches: [method('EchoTwo')], backends: [{ service: G2 }] },
        ],
      },
    ],
    cases: [
      { kind: 'grpc', method: 'Echo', backend: G1 },
      { kind: 'grpc', method: 'EchoTwo', backend: G2 },
      { kind: 'grpc', method: 'EchoThree', code: 12, only: GRPC_IN_MESH },
    ],
  },
  {
    test: 'GRPCRouteHeaderMatching',
    source: ['grpcroute-header-matching.go', 'grpcroute-header-matching.yaml'],
    only: GRPC_IN_MESH,
    routes: [
      {
        name: 'grpc-header-matching',
        rules: [
          { matches: [{ headers: [{ name: 'version', exact: 'one' }] }], backends: [{ service: G1 }] },
          { matches: [{ headers: [{ name: 'version', exact: 'two' }] }], backends: [{ service: G2 }] },
          { matches: [{ headers: [{ name: 'version', exact: 'two' }, { name: 'color', exact: 'orange' }] }], backends: [{ service: G1 }] },
          { matches: [{ headers: [{ name: 'color', exact: 'blue' }] }, { headers: [{ name: 'color', exact: 'green' }] }], backends: [{ service: G1 }] },
          { matches: [{ headers: [{ name: 'color', exact: 'red' }] }, { headers: [{ name: 'color', exact: 'yellow' }] }], backends: [{ service: G2 }] },
        ],
      },
    ],
    cases: [
      headersCase({ Version: 'one' }, G1),
      headersCase({ Version: 'two' }, G2),
      headersCase({ Version: 'two', Color: 'orange' }, G1),
      headersCase({ Version: 'two', Color: 'blue' }, G2),
      unmatched({ Color: 'orange' }),
      unmatched({ 'Some-Other-Header': 'one' }),
      headersCase({ Color: 'blue' }, G1),
      headersCase({ Color: 'green' }, G1),
      headersCase({ Color: 'red' }, G2),
      headersCase({ Color: 'yellow' }, G2),
      unmatched({ Color: 'purple' }),
    ],
  },
  {
    test: 'GRPCRouteNamedRule',
    source: ['grpcroute-named-rule.go', 'grpcroute-named-rule.yaml'],
    only: GRPC_IN_MESH,
    routes: [
      {
        name: 'grpc-named-rules',
        rules: [
          { name: 'named-rule', matches: [method('Echo')], backends: [{ service: G1 }] },
          { matches: [method('EchoTwo')], backends: [{ service: G2 }] },
        ],
      },
    ],
    cases: [
      { kind: 'grpc', method: 'Echo', backend: G1 },
      { kind: 'grpc', method: 'EchoTwo', backend: G2 },
    ],
  },
  {
    test: 'GRPCRouteRequestHeaderModifier',
    source: ['grpcroute-request-header-modifier.go', 'grpcroute-request-header-modifier.yaml'],
    only: GRPC_IN_MESH,
    translation: 'Three rules match Echo alike; the first wins, as in upstream, and `weft validate` warns about the other two.',
    routes: [
      {
        name: 'grpc-request-header-modifier',
        rules: [
          { matches: [method('Echo')], requestHeaders: { set: { 'X-Header-Set': 'set-overwrites-values' } }, backends: [{ service: G1 }] },
          { matches: [method('Echo')], requestHeaders: { add: { 'X-Header-Add': 'add-appends-values' } }, backends: [{ service: G1 }] },
          { matches: [method('Echo')], requestHeaders: { remove: ['X-Header-Remove'] }, backends: [{ service: G1 }] },
          {
            matches: [method('EchoTwo')],
            requestHeaders: {
              set: { 'X-Header-Set-1': 'header-set-1', 'X-Header-Set-2': 'header-set-2' },
              add: { 'X-Header-Add-1': 'header-add-1', 'X-Header-Add-2': 'header-add-2' },
              remove: ['X-Header-Remove-1', 'X-Header-Remove-2'],
            },
            backends: [{ service: G2 }],
          },
        ],
      },
    ],
    // Upstream checks these calls' status, method and backend (grpc.compareResponse), not the headers.
    cases: [
      { kind: 'grpc', testCaseName: 'Set headers -- X-Header-Set should have the original value', method: 'Echo', requestMetadata: { authority: AUTHORITY, metadata: { 'Some-Other-Header': 'this-header-should-be-set' } }, backend: G1 },
      {
        kind: 'grpc',
        testCaseName: 'Set headers -- X-Header-Set should get overwritten with the original value',
        method: 'Echo',
        requestMetadata: { authority: AUTHORITY, metadata: { 'Some-Other-Header': 'this-header-should-be-set', 'X-Header-Set': 'this-value-should-be-overwritten' } },
        backend: G1,
      },
      { kind: 'grpc', testCaseName: 'Add headers -- X-Header-Add should have the original value', method: 'Echo', requestMetadata: { authority: AUTHORITY, metadata: { 'Some-Other-Header': 'this-header-should-be-set' } }, backend: G1 },
      {
        kind: 'grpc',
        testCaseName: 'Add headers -- X-Header-Add should append the new value to the original value',
        method: 'Echo',
        requestMetadata: { authority: AUTHORITY, metadata: { 'Some-Other-Header': 'this-header-should-be-set', 'X-Header-Add': 'this-value-should-be-appended' } },
        backend: G1,
      },
      { kind: 'grpc', testCaseName: 'Remove headers -- X-Header-Remove should be removed', method: 'Echo', requestMetadata: { authority: AUTHORITY, metadata: { 'X-Header-Remove': 'this-should-be-removed' } }, backend: G1 },
      {
        kind: 'grpc',
        testCaseName: 'Multiple operations - all header operations should be applied',
        method: 'EchoTwo',
        requestMetadata: {
          authority: AUTHORITY,
          metadata: { 'X-Header-Set-2': 'set-header-2', 'X-Header-Add-2': 'add-header-2', 'X-Header-Remove-2': 'should-be-removed-2', 'Some-Other-Header': 'another-header-val' },
        },
        backend: G2,
      },
      {
        kind: 'grpc',
        testCaseName: 'Case sensitivity check for header names',
        method: 'EchoTwo',
        requestMetadata: { authority: AUTHORITY, metadata: { 'x-header-set-1': 'original-set-1', 'x-header-add-1': 'existing-add-1', 'x-header-remove-1': 'should-be-removed-1' } },
        backend: G2,
      },
    ],
  },
  {
    test: 'GRPCRouteWeight',
    source: ['grpcroute-weight.go', 'grpcroute-weight.yaml'],
    only: GRPC_IN_MESH,
    routes: [
      {
        name: 'weighted-backends',
        rules: [
          {
            backends: [
              { service: G1, weight: 70 },
              { service: G2, weight: 30 },
              { service: G3, weight: 0 },
            ],
          },
        ],
      },
    ],
    cases: [{ kind: 'grpc-weights', testCaseName: 'Requests should have a distribution that matches the weight', expectedWeights: { [G1]: 0.7, [G2]: 0.3, [G3]: 0 } }],
  },
];
