// Gateway API conformance: RequestMirror, one or several per rule, all requests or a share of
// them (percent, or fraction → percent). Weft: `mirror`, one object or a list.
//
// Translated from kubernetes-sigs/gateway-api, conformance/tests/ (commit 4564255a):
// httproute-request-mirror, httproute-request-multiple-mirrors and
// httproute-request-percentage-mirror (.go cases, .yaml routes). Copyright The Kubernetes
// Authors, licensed under the Apache License, Version 2.0
// (http://www.apache.org/licenses/LICENSE-2.0). Changes: the HTTPRoutes are written as Weft
// Route rules, the Go test cases as TypeScript data.
import type { ConformanceGroup } from './types.ts';

const V1 = 'infra-backend-v1';
const V2 = 'infra-backend-v2';
const V3 = 'infra-backend-v3';

const MODIFY = { set: { 'X-Header-Set': 'set-overwrites-values' }, add: { 'X-Header-Add': 'header-val-1', 'X-Header-Add-Append': 'header-val-2' }, remove: ['X-Header-Remove'] };
const MODIFIED = { 'X-Header-Add': 'header-val-1', 'X-Header-Add-Append': 'append-val-1,header-val-2', 'X-Header-Set': 'set-overwrites-values' };
const SENT = { 'X-Header-Remove': 'remove-val', 'X-Header-Add-Append': 'append-val-1' };

export const MIRROR_GROUPS: ConformanceGroup[] = [
  {
    test: 'HTTPRouteRequestMirror',
    source: ['httproute-request-mirror.go', 'httproute-request-mirror.yaml'],
    routes: [
      {
        name: 'request-mirror',
        rules: [
          { matches: [{ path: { prefix: '/mirror' } }], mirror: { service: V2 }, backends: [{ service: V1 }] },
          { matches: [{ path: { prefix: '/mirror-and-modify-headers' } }], requestHeaders: MODIFY, mirror: { service: V2 }, backends: [{ service: V1 }] },
        ],
      },
    ],
    cases: [
      { request: { path: '/mirror' }, expectedRequest: { path: '/mirror' }, backend: V1, mirroredTo: [{ name: V2 }] },
      {
        request: { path: '/mirror-and-modify-headers', headers: SENT },
        expectedRequest: { path: '/mirror-and-modify-headers', headers: MODIFIED, absentHeaders: ['X-Header-Remove'] },
        backend: V1,
        mirroredTo: [{ name: V2 }],
      },
    ],
  },
  {
    test: 'HTTPRouteRequestMultipleMirrors',
    source: ['httproute-request-multiple-mirrors.go', 'httproute-request-multiple-mirrors.yaml'],
    routes: [
      {
        name: 'request-multiple-mirrors',
        rules: [
          { matches: [{ path: { prefix: '/multi-mirror' } }], mirror: [{ service: V2 }, { service: V3 }], backends: [{ service: V1 }] },
          { matches: [{ path: { prefix: '/multi-mirror-and-modify-request-headers' } }], requestHeaders: MODIFY, mirror: [{ service: V2 }, { service: V3 }], backends: [{ service: V1 }] },
        ],
      },
    ],
    cases: [
      { request: { path: '/multi-mirror' }, expectedRequest: { path: '/multi-mirror' }, backend: V1, mirroredTo: [{ name: V2 }, { name: V3 }] },
      {
        request: { path: '/multi-mirror-and-modify-request-headers', headers: SENT },
        expectedRequest: { path: '/multi-mirror-and-modify-request-headers', headers: MODIFIED, absentHeaders: ['X-Header-Remove'] },
        backend: V1,
        mirroredTo: [{ name: V2 }, { name: V3 }],
      },
    ],
  },
  {
    test: 'HTTPRouteRequestPercentageMirror',
    source: ['httproute-request-percentage-mirror.go', 'httproute-request-percentage-mirror.yaml'],
    translation: 'A mirror `fraction` (numerator 25, denominator 50) is written as the percent it stands for (50).',
    routes: [
      {
        name: 'request-percentage-mirror',
        rules: [
          { matches: [{ path: { prefix: '/percent-mirror' } }], mirror: { service: V2, percent: 20 }, backends: [{ service: V1 }] },
          { matches: [{ path: { prefix: '/percent-mirror-fraction' } }], mirror: { service: V2, percent: 50 }, backends: [{ service: V1 }] },
          { matches: [{ path: { prefix: '/percent-mirror-and-modify-headers' } }], requestHeaders: MODIFY, mirror: { service: V2, percent: 35 }, backends: [{ service: V1 }] },
        ],
      },
    ],
    cases: [
      { kind: 'percent-mirror', expected: { request: { path: '/percent-mirror' }, expectedRequest: { path: '/percent-mirror' }, backend: V1, mirroredTo: [{ name: V2, percent: 20 }] } },
      { kind: 'percent-mirror', expected: { request: { path: '/percent-mirror-fraction' }, expectedRequest: { path: '/percent-mirror-fraction' }, backend: V1, mirroredTo: [{ name: V2, percent: 50 }] } },
      {
        kind: 'percent-mirror',
        expected: {
          request: { path: '/percent-mirror-and-modify-headers', headers: SENT },
          expectedRequest: { path: '/percent-mirror-and-modify-headers', headers: MODIFIED, absentHeaders: ['X-Header-Remove'] },
          backend: V1,
          mirroredTo: [{ name: V2, percent: 35 }],
        },
      },
    ],
  },
];
