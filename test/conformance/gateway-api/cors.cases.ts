// Gateway API conformance: the CORS filter (exact and wildcard origins, `*` methods and
// headers, credentials, max age). Weft: `cors` on the rule, at the edge.
//
// Translated from kubernetes-sigs/gateway-api, conformance/tests/ (commit 4564255a):
// httproute-cors (.go cases, .yaml routes). Copyright The Kubernetes Authors, licensed under the
// Apache License, Version 2.0 (http://www.apache.org/licenses/LICENSE-2.0). Changes: the
// HTTPRoutes are written as Weft Route rules, the Go test cases as TypeScript data; the test is
// run as one group per HTTPRoute of its manifest (its cases carry their own names).
import { CORS_AT_EDGE } from './limits.ts';
import type { ConformanceGroup, ExpectedResponse } from './types.ts';

const V1 = 'infra-backend-v1';
const SOURCE = ['httproute-cors.go', 'httproute-cors.yaml'];

/** Upstream's preflight expectation: the gateway answers, so no backend request is compared. */
function preflight(testCaseName: string, path: string, headers: Record<string, string>, response: ExpectedResponse['response']): ExpectedResponse {
  return { testCaseName, request: { path, method: 'OPTIONS', headers }, expectedRequest: { method: 'OPTIONS', path: '' }, response };
}

const REQUESTED = { 'access-control-request-method': 'GET', 'access-control-request-headers': 'x-header-1, x-header-2' };
const CORS_1_ANSWER = (origin: string) => ({
  statusCodes: [200, 204],
  validHeaderValues: {
    'access-control-allow-origin': [origin],
    'access-control-allow-methods': ['GET, OPTIONS', 'OPTIONS, GET'],
    'access-control-allow-headers': ['x-header-1, x-header-2', 'x-header-2, x-header-1'],
    'access-control-expose-headers': ['x-header-3, x-header-4', 'x-header-4, x-header-3'],
    'access-control-max-age': ['3600'],
    'access-control-allow-credentials': ['true'],
  },
  ignoreWhitespace: true,
});

export const CORS_GROUPS: ConformanceGroup[] = [
  {
    test: 'HTTPRouteCORS',
    source: SOURCE,
    only: CORS_AT_EDGE,
    routes: [
      {
        name: 'cors-multiple-origins-methods-headers',
        rules: [
          {
            cors: {
              allowOrigins: ['https://www.foo.com', 'https://*.bar.com'],
              allowMethods: ['GET', 'OPTIONS'],
              allowHeaders: ['x-header-1', 'x-header-2'],
              exposeHeaders: ['x-header-3', 'x-header-4'],
              allowCredentials: true,
              maxAge: '3600s',
            },
            matches: [{ path: { prefix: '/cors-1' } }],
            backends: [{ service: V1 }],
          },
        ],
      },
    ],
    cases: [
      preflight('CORS preflight request from an exact matching origin should be allowed', '/cors-1', { Origin: 'https://www.foo.com', ...REQUESTED }, CORS_1_ANSWER('https://www.foo.com')),
      preflight('CORS preflight request from a wildcard matching origin should be allowed', '/cors-1', { Origin: 'https://www.bar.com', ...REQUESTED }, CORS_1_ANSWER('https://www.bar.com')),
      preflight(
        "CORS preflight request from a wildcard matching any number of periods left to '*' should be allowed",
        '/cors-1',
        { Origin: 'https://xpto.www.bar.com', ...REQUESTED },
        CORS_1_ANSWER('https://xpto.www.bar.com'),
      ),
      preflight(
        'CORS preflight request from a non-matching origin should not be allowed',
        '/cors-1',
        { Origin: 'https://foobar.com', 'access-control-request-method': 'GET' },
        { statusCodes: [200, 204, 403], absentHeaders: ['access-control-allow-origin'] },
      ),
      {
        testCaseName: 'Simple request from an exact matching origin should be allowed',
        request: { path: '/cors-1', method: 'GET', headers: { Origin: 'https://www.foo.com', ...REQUESTED } },
        response: { statusCode: 200, headers: { 'access-control-allow-origin': 'https://www.foo.com' } },
      },
      {
        testCaseName: 'Simple request from a wildcard matching origin should be allowed',
        request: { path: '/cors-1', method: 'GET', headers: { Origin: 'https://www.bar.com', ...REQUESTED } },
        response: { statusCode: 200, headers: { 'access-control-allow-origin': 'https://www.bar.com' } },
      },
      {
        testCaseName: 'Simple request from a non-matching origin should not be allowed',
        request: { path: '/cors-1', method: 'GET', headers: { Origin: 'https://foobar.com', 'access-control-request-method': 'GET' } },
        response: { absentHeaders: ['access-control-allow-origin'] },
      },
    ],
  },
  {
    test: 'HTTPRouteCORS',
    source: SOURCE,
    only: CORS_AT_EDGE,
    routes: [
      {
        name: 'cors-wildcard-methods',
        rules: [{ cors: { allowOrigins: ['https://www.foo.com'], allowMethods: ['*'] }, matches: [{ path: { prefix: '/cors-2' } }], backends: [{ service: V1 }] }],
      },
    ],
    cases: [
      preflight(
        'CORS preflight request with POST method should be allowed by allowMethods with wildcard',
        '/cors-2',
        { Origin: 'https://www.foo.com', 'access-control-request-method': 'POST' },
        {
          statusCodes: [200, 204],
          validHeaderValues: { 'access-control-allow-methods': ['POST', '*'] },
          headers: { 'access-control-allow-origin': 'https://www.foo.com' },
          absentHeaders: ['access-control-allow-credentials'],
        },
      ),
      preflight(
        'CORS preflight request should not receive access-control-allow-credentials header without access-control-allow-credentials set to true',
        '/cors-2',
        { Origin: 'https://www.foo.com', 'access-control-request-method': 'POST' },
        { statusCodes: [200, 204], absentHeaders: ['Access-Control-Allow-Credentials'] },
      ),
    ],
  },
  {
    test: 'HTTPRouteCORS',
    source: SOURCE,
    only: CORS_AT_EDGE,
    routes: [
      {
        name: 'cors-wildcard-origin',
        rules: [{ cors: { allowOrigins: ['*'], allowMethods: ['PUT'], allowCredentials: false }, matches: [{ path: { prefix: '/cors-wildcard-origin' } }], backends: [{ service: V1 }] }],
      },
    ],
    cases: [
      preflight(
        "CORS preflight request from a wildcard origin should return header with '*' or with the requested Origin",
        '/cors-wildcard-origin',
        { Origin: 'https://foobar.com', 'access-control-request-method': 'PUT' },
        {
          statusCodes: [200, 204],
          validHeaderValues: { 'access-control-allow-origin': ['https://foobar.com', '*'], 'access-control-allow-methods': ['PUT'] },
          absentHeaders: ['Access-Control-Allow-Credentials'],
        },
      ),
      preflight(
        "CORS preflight request from a wildcard origin containing a port should return header with '*' or with the requested Origin",
        '/cors-wildcard-origin',
        { Origin: 'https://foobar.com:12345', 'access-control-request-method': 'PUT' },
        {
          statusCodes: [200, 204],
          validHeaderValues: { 'access-control-allow-origin': ['https://foobar.com:12345', '*'], 'access-control-allow-methods': ['PUT'] },
          absentHeaders: ['Access-Control-Allow-Credentials'],
        },
      ),
      {
        testCaseName: "Request from a wildcard origin containing a port should return header with '*' or with the requested Origin",
        request: { path: '/cors-wildcard-origin', method: 'PUT', headers: { Origin: 'https://foobar.com:12345' } },
        response: { statusCode: 200, validHeaderValues: { 'access-control-allow-origin': ['https://foobar.com:12345', '*'] } },
      },
      {
        testCaseName: "Simple request from a wildcard origin should return header with '*' or with the requested Origin",
        request: { path: '/cors-wildcard-origin', method: 'PUT', headers: { Origin: 'https://foobar.com' } },
        response: { statusCode: 200, validHeaderValues: { 'access-control-allow-origin': ['https://foobar.com', '*'] }, absentHeaders: ['Access-Control-Allow-Credentials'] },
      },
    ],
  },
  {
    test: 'HTTPRouteCORS',
    source: SOURCE,
    only: CORS_AT_EDGE,
    routes: [
      {
        name: 'cors-wildcard-methods-headers',
        rules: [
          {
            cors: { allowOrigins: ['*'], allowMethods: ['*'], allowHeaders: ['*'], allowCredentials: true },
            matches: [{ path: { prefix: '/cors-wildcard-methods-headers' } }],
            backends: [{ service: V1 }],
          },
          {
            cors: { allowOrigins: ['*'], allowMethods: ['*'], allowHeaders: ['*'], allowCredentials: false },
            matches: [{ path: { prefix: '/cors-wildcard-methods-headers-unauth' } }],
            backends: [{ service: V1 }],
          },
        ],
      },
    ],
    cases: [
      preflight(
        'CORS preflight request requesting specific method and headers should be allowed and always echo the origin with allowCredentials set to true',
        '/cors-wildcard-methods-headers',
        { Origin: 'https://other.foo.com', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'x-header-1, x-header-2' },
        {
          statusCodes: [200, 204],
          validHeaderValues: {
            'access-control-allow-origin': ['https://other.foo.com'],
            'access-control-allow-methods': ['PUT'],
            'access-control-allow-headers': ['x-header-1, x-header-2', 'x-header-2, x-header-1'],
            'access-control-allow-credentials': ['true'],
          },
          ignoreWhitespace: true,
        },
      ),
      preflight(
        'CORS preflight request requesting specific method and headers should hide access-control-allow-credentials headers with allowCredentials set to false',
        '/cors-wildcard-methods-headers-unauth',
        { Origin: 'https://other.foo.com', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'x-header-1, x-header-2' },
        {
          statusCodes: [200, 204],
          validHeaderValues: {
            'access-control-allow-origin': ['https://other.foo.com', '*'],
            'access-control-allow-methods': ['PUT', '*'],
            'access-control-allow-headers': ['x-header-1, x-header-2', 'x-header-2, x-header-1', '*'],
          },
          absentHeaders: ['access-control-allow-credentials'],
          ignoreWhitespace: true,
        },
      ),
      {
        testCaseName: 'CORS request should receive access-control-allow-credentials header with allowCredentials set to true',
        request: { path: '/cors-wildcard-methods-headers', method: 'GET', headers: { Origin: 'https://other.foo.com' } },
        response: { statusCode: 200, validHeaderValues: { 'access-control-allow-origin': ['https://other.foo.com'], 'access-control-allow-credentials': ['true'] } },
      },
      {
        testCaseName: 'CORS request should not receive access-control-allow-credentials header without allowCredentials set to true',
        request: { path: '/cors-wildcard-methods-headers-unauth', method: 'GET', headers: { Origin: 'https://other.foo.com' } },
        response: { statusCode: 200, validHeaderValues: { 'access-control-allow-origin': ['https://other.foo.com', '*'] }, absentHeaders: ['access-control-allow-credentials'] },
      },
    ],
  },
];
