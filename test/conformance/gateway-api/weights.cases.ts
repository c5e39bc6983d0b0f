// Gateway API conformance: traffic split by relative backend weights, a weight of 0 getting
// none. Weft: `backends[].weight`.
//
// Translated from kubernetes-sigs/gateway-api, conformance/tests/ (commit 4564255a):
// httproute-weight (.go case, .yaml route) and the distribution check of
// conformance/utils/weight/weight.go. Copyright The Kubernetes Authors, licensed under the
// Apache License, Version 2.0 (http://www.apache.org/licenses/LICENSE-2.0). Changes: the
// HTTPRoute is written as a Weft Route rule, the Go test case as TypeScript data.
import type { ConformanceGroup } from './types.ts';

export const WEIGHT_GROUPS: ConformanceGroup[] = [
  {
    test: 'HTTPRouteWeight',
    source: ['httproute-weight.go', 'httproute-weight.yaml'],
    routes: [
      {
        name: 'weighted-backends',
        rules: [
          {
            backends: [
              { service: 'infra-backend-v1', weight: 70 },
              { service: 'infra-backend-v2', weight: 30 },
              { service: 'infra-backend-v3', weight: 0 },
            ],
          },
        ],
      },
    ],
    cases: [
      {
        kind: 'weights',
        testCaseName: 'Requests should have a distribution that matches the weight',
        request: { path: '/' },
        expectedWeights: { 'infra-backend-v1': 0.7, 'infra-backend-v2': 0.3, 'infra-backend-v3': 0 },
      },
    ],
  },
];
