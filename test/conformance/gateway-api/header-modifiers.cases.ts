// Gateway API conformance: request and response header modifiers, on a rule and on one
// backend of a rule (Weft: `requestHeaders` / `responseHeaders` of the rule, or of the backend).
//
// Translated from kubernetes-sigs/gateway-api, conformance/tests/ (commit 4564255a):
// httproute-request-header-modifier (.go, .yaml, and -backend.yaml for
// HTTPRouteBackendRequestHeaderModifier), httproute-response-header-modifier and
// httproute-request-header-modifier-backend-weights. Copyright The Kubernetes Authors, licensed
// under the Apache License, Version 2.0 (http://www.apache.org/licenses/LICENSE-2.0). Changes:
// the HTTPRoutes are written as Weft Route rules, the Go test cases as TypeScript data.
import type { ConformanceGroup, ExpectedResponse } from './types.ts';

const V1 = 'infra-backend-v1';
const V2 = 'infra-backend-v2';

/** RequestHeaderModifier filters of httproute-request-header-modifier.yaml, by path prefix. */
const REQUEST_FILTERS: Record<string, Record<string, unknown>> = {
  '/set': { set: { 'X-Header-Set': 'set-overwrites-values' } },
  '/add': { add: { 'X-Header-Add': 'add-appends-values' } },
  '/remove': { remove: ['X-Header-Remove'] },
  '/multiple': {
    set: { 'X-Header-Set-1': 'header-set-1', 'X-Header-Set-2': 'header-set-2' },
    add: { 'X-Header-Add-1': 'header-add-1', 'X-Header-Add-2': 'header-add-2', 'X-Header-Add-3': 'header-add-3' },
    remove: ['X-Header-Remove-1', 'X-Header-Remove-2'],
  },
  '/case-insensitivity': { set: { 'X-Header-Set': 'header-set' }, add: { 'X-Header-Add': 'header-add' }, remove: ['X-Header-Remove'] },
};

const REQUEST_CASES: ExpectedResponse[] = [
  {
    request: { path: '/set', headers: { 'Some-Other-Header': 'val' } },
    expectedRequest: { path: '/set', headers: { 'Some-Other-Header': 'val', 'X-Header-Set': 'set-overwrites-values' } },
    backend: V1,
  },
  {
    request: { path: '/set', headers: { 'Some-Other-Header': 'val', 'X-Header-Set': 'some-other-value' } },
    expectedRequest: { path: '/set', headers: { 'Some-Other-Header': 'val', 'X-Header-Set': 'set-overwrites-values' } },
    backend: V1,
  },
  {
    request: { path: '/add', headers: { 'Some-Other-Header': 'val' } },
    expectedRequest: { path: '/add', headers: { 'Some-Other-Header': 'val', 'X-Header-Add': 'add-appends-values' } },
    backend: V1,
  },
  {
    request: { path: '/add', headers: { 'Some-Other-Header': 'val', 'X-Header-Add': 'some-other-value' } },
    expectedRequest: { path: '/add', headers: { 'Some-Other-Header': 'val', 'X-Header-Add': 'some-other-value,add-appends-values' } },
    backend: V1,
  },
  {
    request: { path: '/remove', headers: { 'X-Header-Remove': 'val' } },
    expectedRequest: { path: '/remove', absentHeaders: ['X-Header-Remove'] },
    backend: V1,
  },
  {
    request: { path: '/multiple', headers: { 'X-Header-Set-2': 'set-val-2', 'X-Header-Add-2': 'add-val-2', 'X-Header-Remove-2': 'remove-val-2', 'Another-Header': 'another-header-val' } },
    expectedRequest: {
      path: '/multiple',
      headers: {
        'X-Header-Set-1': 'header-set-1',
        'X-Header-Set-2': 'header-set-2',
        'X-Header-Add-1': 'header-add-1',
        'X-Header-Add-2': 'add-val-2,header-add-2',
        'X-Header-Add-3': 'header-add-3',
        'Another-Header': 'another-header-val',
      },
      absentHeaders: ['X-Header-Remove-1', 'X-Header-Remove-2'],
    },
    backend: V1,
  },
  {
    request: { path: '/case-insensitivity', headers: { 'x-header-set': 'original-val-set', 'x-header-add': 'original-val-add', 'x-header-remove': 'original-val-remove', 'Another-Header': 'another-header-val' } },
    expectedRequest: {
      path: '/case-insensitivity',
      headers: { 'X-Header-Set': 'header-set', 'X-Header-Add': 'original-val-add,header-add', 'Another-Header': 'another-header-val' },
      absentHeaders: ['x-header-remove', 'X-Header-Remove'],
    },
    backend: V1,
  },
];

const RESPONSE_FILTERS: { prefix: string; response: Record<string, unknown>; request?: Record<string, unknown> }[] = [
  { prefix: '/set', response: { set: { 'X-Header-Set': 'set-overwrites-values' } } },
  { prefix: '/add', response: { add: { 'X-Header-Add': 'add-appends-values' } } },
  { prefix: '/remove', response: { remove: ['X-Header-Remove'] } },
  {
    prefix: '/multiple',
    response: {
      set: { 'X-Header-Set-1': 'header-set-1', 'X-Header-Set-2': 'header-set-2' },
      add: { 'X-Header-Add-1': 'header-add-1', 'X-Header-Add-2': 'header-add-2', 'X-Header-Add-3': 'header-add-3' },
      remove: ['X-Header-Remove-1', 'X-Header-Remove-2'],
    },
  },
  {
    prefix: '/case-insensitivity',
    response: {
      set: { 'X-Header-Set': 'header-set' },
      add: { 'X-Header-Add': 'header-add', 'x-lowercase-add': 'lowercase-add', 'x-Mixedcase-ADD-1': 'mixedcase-add-1', 'X-mixeDcase-add-2': 'mixedcase-add-2', 'X-UPPERCASE-ADD': 'uppercase-add' },
      remove: ['X-Header-Remove'],
    },
  },
  {
    prefix: '/response-and-request-header-modifiers',
    response: { set: { 'X-Header-Set-1': 'header-set-1', 'X-Header-Set-2': 'header-set-2' }, add: { 'X-Header-Add-1': 'header-add-1', 'X-Header-Add-2': 'header-add-2' }, remove: ['X-Header-Remove-1', 'X-Header-Remove-2'] },
    request: { set: { 'X-Header-Set': 'set-overwrites-values' }, add: { 'X-Header-Add': 'header-val-1', 'X-Header-Add-Append': 'header-val-2' }, remove: ['X-Header-Remove'] },
  },
];

export const HEADER_MODIFIER_GROUPS: ConformanceGroup[] = [
  {
    test: 'HTTPRouteRequestHeaderModifier',
    source: ['httproute-request-header-modifier.go', 'httproute-request-header-modifier.yaml'],
    routes: [
      {
        name: 'request-header-modifier',
        rules: Object.entries(REQUEST_FILTERS).map(([prefix, ops]) => ({ matches: [{ path: { prefix } }], requestHeaders: ops, backends: [{ service: V1 }] })),
      },
    ],
    cases: REQUEST_CASES,
  },
  {
    test: 'HTTPRouteBackendRequestHeaderModifier',
    source: ['httproute-request-header-modifier.go', 'httproute-request-header-modifier-backend.yaml'],
    routes: [
      {
        name: 'request-header-modifier',
        rules: Object.entries(REQUEST_FILTERS).map(([prefix, ops]) => ({ matches: [{ path: { prefix } }], backends: [{ service: V1, requestHeaders: ops }] })),
      },
    ],
    cases: REQUEST_CASES,
  },
  {
    test: 'HTTPRouteResponseHeaderModifier',
    source: ['httproute-response-header-modifier.go', 'httproute-response-header-modifier.yaml'],
    routes: [
      {
        name: 'response-header-modifier',
        rules: RESPONSE_FILTERS.map((f) => ({ matches: [{ path: { prefix: f.prefix } }], responseHeaders: f.response, ...(f.request ? { requestHeaders: f.request } : {}), backends: [{ service: V1 }] })),
      },
    ],
    cases: [
      {
        request: { path: '/set' },
        backendSetResponseHeaders: { 'Some-Other-Header': 'val' },
        response: { headers: { 'Some-Other-Header': 'val', 'X-Header-Set': 'set-overwrites-values' } },
        backend: V1,
      },
      {
        request: { path: '/set' },
        backendSetResponseHeaders: { 'Some-Other-Header': 'val', 'X-Header-Set': 'some-other-value' },
        response: { headers: { 'Some-Other-Header': 'val', 'X-Header-Set': 'set-overwrites-values' } },
        backend: V1,
      },
      {
        request: { path: '/add' },
        backendSetResponseHeaders: { 'Some-Other-Header': 'val' },
        response: { headers: { 'Some-Other-Header': 'val', 'X-Header-Add': 'add-appends-values' } },
        backend: V1,
      },
      {
        request: { path: '/add' },
        backendSetResponseHeaders: { 'Some-Other-Header': 'val', 'X-Header-Add': 'some-other-value' },
        response: { headers: { 'Some-Other-Header': 'val', 'X-Header-Add': 'some-other-value,add-appends-values' } },
        backend: V1,
      },
      {
        request: { path: '/remove' },
        backendSetResponseHeaders: { 'X-Header-Remove': 'val' },
        response: { absentHeaders: ['X-Header-Remove'] },
        backend: V1,
      },
      {
        request: { path: '/multiple' },
        backendSetResponseHeaders: { 'X-Header-Set-2': 'set-val-2', 'X-Header-Add-2': 'add-val-2', 'X-Header-Remove-2': 'remove-val-2', 'Another-Header': 'another-header-val', 'X-Header-Remove-1': 'val' },
        response: {
          headers: {
            'X-Header-Set-1': 'header-set-1',
            'X-Header-Set-2': 'header-set-2',
            'X-Header-Add-1': 'header-add-1',
            'X-Header-Add-2': 'add-val-2,header-add-2',
            'X-Header-Add-3': 'header-add-3',
            'Another-Header': 'another-header-val',
          },
          absentHeaders: ['X-Header-Remove-1', 'X-Header-Remove-2'],
        },
        backend: V1,
      },
      {
        request: { path: '/case-insensitivity' },
        backendSetResponseHeaders: { 'x-header-set': 'original-val-set', 'x-header-add': 'original-val-add', 'x-header-remove': 'original-val-remove', 'Another-Header': 'another-header-val' },
        response: {
          headers: {
            'X-Header-Set': 'header-set',
            'X-Header-Add': 'original-val-add,header-add',
            'X-Lowercase-Add': 'lowercase-add',
            'X-Mixedcase-Add-1': 'mixedcase-add-1',
            'X-Mixedcase-Add-2': 'mixedcase-add-2',
            'X-Uppercase-Add': 'uppercase-add',
            'Another-Header': 'another-header-val',
          },
          absentHeaders: ['x-header-remove', 'X-Header-Remove'],
        },
        backend: V1,
      },
      {
        request: { path: '/response-and-request-header-modifiers', headers: { 'X-Header-Remove': 'remove-val', 'X-Header-Add-Append': 'append-val-1', 'X-Header-Echo': 'echo' } },
        backendSetResponseHeaders: {
          'X-Header-Set-2': 'set-val-2',
          'X-Header-Add-2': 'add-val-2',
          'X-Header-Remove-2': 'remove-val-2',
          'Another-Header': 'another-header-val',
          'X-Header-Remove-1': 'remove-val-1',
          'X-Header-Echo': 'echo',
        },
        expectedRequest: {
          path: '/response-and-request-header-modifiers',
          headers: { 'X-Header-Add': 'header-val-1', 'X-Header-Set': 'set-overwrites-values', 'X-Header-Add-Append': 'append-val-1,header-val-2', 'X-Header-Echo': 'echo' },
          absentHeaders: ['X-Header-Remove'],
        },
        response: {
          headers: {
            'X-Header-Set-1': 'header-set-1',
            'X-Header-Set-2': 'header-set-2',
            'X-Header-Add-1': 'header-add-1',
            'X-Header-Add-2': 'add-val-2,header-add-2',
            'Another-Header': 'another-header-val',
            'X-Header-Echo': 'echo',
          },
          absentHeaders: ['X-Header-Remove-1', 'X-Header-Remove-2'],
        },
        backend: V1,
      },
    ],
  },
  {
    test: 'HTTPRouteRequestHeaderModifierBackendWeights',
    source: ['httproute-request-header-modifier-backend-weights.go', 'httproute-request-header-modifier-backend-weights.yaml'],
    routes: [
      {
        name: 'request-header-modifier-backend-weights',
        rules: [
          {
            backends: [
              { service: V1, weight: 10, requestHeaders: { set: { Backend: V1 } } },
              { service: V2, weight: 10, requestHeaders: { set: { Backend: V2 } } },
            ],
          },
        ],
      },
    ],
    cases: [
      // Upstream runs this check as the test itself (no subtest): named by the test's description.
      { kind: 'backend-header', testCaseName: 'An HTTPRoute with backend request header modifier filter sends traffic to the correct backends', request: { path: '/' }, header: 'Backend', requests: 100 },
    ],
  },
];
