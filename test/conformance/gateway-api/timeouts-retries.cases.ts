// Gateway API conformance: request and backend-request timeouts (`0s` disables one) and
// retries on status codes, connection errors and per-try timeouts, within a request timeout.
// Weft: `timeout` (timeouts.request), `retries.perTryTimeout` (timeouts.backendRequest),
// `retries.attempts` (retry.attempts: retries after the first try, as in Weft).
//
// Translated from kubernetes-sigs/gateway-api, conformance/tests/ (commit 4564255a):
// httproute-timeout-request, httproute-timeout-backend-request, httproute-retry,
// httproute-retry-connection-error and httproute-retry-with-timeouts (.go cases, .yaml routes).
// Copyright The Kubernetes Authors, licensed under the Apache License, Version 2.0
// (http://www.apache.org/licenses/LICENSE-2.0). Changes: the HTTPRoutes are written as Weft
// Route rules, the Go test cases as TypeScript data.
import { RESET_IS_502 } from './limits.ts';
import type { ConformanceGroup, ExpectedResponse } from './types.ts';

const V1 = 'infra-backend-v1';
const V3 = 'infra-backend-v3';

/**
 * A `retry` stanza: upstream says implementations SHOULD retry connection errors (disconnect,
 * reset, timeout, TCP failure) whenever one is configured, so every translation names
 * `connect-failure` and `reset` (which covers a per-try timeout), and `codes` become
 * `retriable-status-codes`. Nothing is left to the Mesh or built-in defaults.
 */
function retries(attempts: number, codes: number[] = [], perTryTimeout?: string): Record<string, unknown> {
  return {
    attempts,
    retryOn: ['connect-failure', 'reset', ...(codes.length > 0 ? ['retriable-status-codes'] : [])],
    ...(codes.length > 0 ? { statusCodes: codes } : {}),
    ...(perTryTimeout ? { perTryTimeout } : {}),
  };
}

/** A retry case as assertConsistentRetryBehaviour makes it: a fresh uuid per run, the echo backend's retry simulation in the query. */
function retryCase(i: number, path: string, name: string, simulation: Record<string, string>, statusCodes: number[]): ExpectedResponse {
  const query = new URLSearchParams({ ...simulation, uuid: '{uuid}' });
  return {
    testCaseName: `${i} request to '${path}' ${name}`,
    request: { path: `${path}?${query.toString().replace('%7Buuid%7D', '{uuid}')}` },
    response: { statusCodes },
    backend: V3,
  };
}

export const TIMEOUT_RETRY_GROUPS: ConformanceGroup[] = [
  {
    test: 'HTTPRouteTimeoutRequest',
    source: ['httproute-timeout-request.go', 'httproute-timeout-request.yaml'],
    routes: [
      {
        name: 'request-timeout',
        rules: [
          { matches: [{ path: { prefix: '/request-timeout' } }], backends: [{ service: V1 }], timeout: '500ms' },
          { matches: [{ path: { prefix: '/disable-request-timeout' } }], backends: [{ service: V1 }], timeout: '0s' },
        ],
      },
    ],
    cases: [
      { request: { path: '/request-timeout' }, response: { statusCode: 200 } },
      { request: { path: '/request-timeout?delay=1s' }, response: { statusCode: 504 } },
      { request: { path: '/disable-request-timeout?delay=1s' }, response: { statusCode: 200 } },
    ],
  },
  {
    test: 'HTTPRouteTimeoutBackendRequest',
    source: ['httproute-timeout-backend-request.go', 'httproute-timeout-backend-request.yaml'],
    translation: '`timeouts.backendRequest` is the per-try timeout: `retries.perTryTimeout`, with no other retries field (the rule has no `retry`).',
    routes: [
      {
        name: 'backend-request-timeout',
        rules: [
          { matches: [{ path: { prefix: '/backend-timeout' } }], backends: [{ service: V1 }], retries: { perTryTimeout: '500ms' } },
          { matches: [{ path: { prefix: '/disable-backend-timeout' } }], backends: [{ service: V1 }], retries: { perTryTimeout: '0s' } },
        ],
      },
    ],
    cases: [
      { request: { path: '/backend-timeout' }, response: { statusCode: 200 } },
      { request: { path: '/backend-timeout?delay=1s' }, response: { statusCode: 504 } },
      { request: { path: '/disable-backend-timeout?delay=1s' }, response: { statusCode: 200 } },
    ],
  },
  {
    test: 'HTTPRouteRetry',
    source: ['httproute-retry.go', 'httproute-retry.yaml'],
    routes: [
      {
        name: 'retries',
        rules: [
          { matches: [{ path: { prefix: '/retry/code-500-attempts-3' } }], retries: retries(3, [500]), backends: [{ service: V3 }] },
          { matches: [{ path: { prefix: '/retry/code-all-attempts-2' } }], retries: retries(2, [500, 502, 503, 504]), backends: [{ service: V3 }] },
        ],
      },
    ],
    cases: [
      retryCase(0, '/retry/code-500-attempts-3', 'succeeds after 2 retries when retry is configured for status code 500 and max attempts is 3', { responseCode: '500', succeedAfter: '2' }, [200]),
      retryCase(1, '/retry/code-500-attempts-3', 'fails when required retries on 500 exceed max attempts', { responseCode: '500', succeedAfter: '4' }, [500]),
      retryCase(2, '/retry/code-500-attempts-3', 'does not retry on 503 when retry is only configured for status code 500', { responseCode: '503', succeedAfter: '2' }, [503]),
      retryCase(3, '/retry/code-all-attempts-2', 'succeeds after 1 retry on 500 when retry is configured for all status code and max attempts is 2', { responseCode: '500', succeedAfter: '1' }, [200]),
      retryCase(4, '/retry/code-all-attempts-2', 'fails when required retries on 500 exceed max attempts', { responseCode: '500', succeedAfter: '3' }, [500]),
      retryCase(5, '/retry/code-all-attempts-2', 'succeeds after 1 retry on 502 when retry is configured for all status code and max attempts is 2', { responseCode: '502', succeedAfter: '1' }, [200]),
      retryCase(6, '/retry/code-all-attempts-2', 'fails when required retries on 502 exceed max attempts', { responseCode: '502', succeedAfter: '3' }, [502]),
      retryCase(7, '/retry/code-all-attempts-2', 'succeeds after 1 retry on 503 when retry is configured for all status code and max attempts is 2', { responseCode: '503', succeedAfter: '1' }, [200]),
      retryCase(8, '/retry/code-all-attempts-2', 'fails when required retries on 503 exceed max attempts', { responseCode: '503', succeedAfter: '3' }, [503]),
      retryCase(9, '/retry/code-all-attempts-2', 'succeeds after 1 retry on 504 when retry is configured for all status code and max attempts is 2', { responseCode: '504', succeedAfter: '1' }, [200]),
      retryCase(10, '/retry/code-all-attempts-2', 'fails when required retries on 504 exceed max attempts', { responseCode: '504', succeedAfter: '3' }, [504]),
    ],
  },
  {
    test: 'HTTPRouteRetryConnectionError',
    source: ['httproute-retry-connection-error.go', 'httproute-retry-connection-error.yaml'],
    routes: [{ name: 'retries-connection-error', rules: [{ matches: [{ path: { prefix: '/retry/no-status-code-attempts-3' } }], retries: retries(3), backends: [{ service: V3 }] }] }],
    cases: [
      retryCase(0, '/retry/no-status-code-attempts-3', 'succeeds after 2 retries on connection errors and max attempts is 3', { succeedAfter: '2' }, [200]),
      { ...retryCase(1, '/retry/no-status-code-attempts-3', 'fails when required retries on connection errors exceed max attempts', { succeedAfter: '4' }, [500, 503]), only: RESET_IS_502 },
    ],
  },
  {
    test: 'HTTPRouteRetryWithTimeouts',
    source: ['httproute-retry-with-timeouts.go', 'httproute-retry-with-timeouts.yaml'],
    routes: [
      {
        name: 'retries-with-timeouts',
        rules: [
          { matches: [{ path: { prefix: '/retry/backend-request-timeout-200ms' } }], retries: retries(2, [], '200ms'), backends: [{ service: V3 }] },
          { matches: [{ path: { prefix: '/retry/request-timeout-200ms' } }], retries: retries(5, [500], '200ms'), timeout: '400ms', backends: [{ service: V3 }] },
        ],
      },
    ],
    cases: [
      retryCase(0, '/retry/backend-request-timeout-200ms', 'succeeds after 2 retries on backend timeout with max attempts is 3', { responseCode: '500', succeedAfter: '2', delayRetry: '300ms' }, [200]),
      retryCase(1, '/retry/backend-request-timeout-200ms', 'fails when required retries on backend timeout exceed max attempts', { responseCode: '500', succeedAfter: '3', delayRetry: '300ms' }, [504]),
      retryCase(2, '/retry/request-timeout-200ms', 'succeeds when retries complete within the request timeout', { responseCode: '500', succeedAfter: '1' }, [200]),
      retryCase(3, '/retry/request-timeout-200ms', 'fails with 504 when retry delays exceed the request timeout', { responseCode: '500', succeedAfter: '4', delayRetry: '100ms' }, [504]),
    ],
  },
];
