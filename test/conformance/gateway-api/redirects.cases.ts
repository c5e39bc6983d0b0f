// Gateway API conformance: RequestRedirect (hostname, status, path as ReplaceFullPath or
// ReplacePrefixMatch, port, scheme, and the Location port that follows the listener).
// Weft: `redirect: { host, statusCode, path, pathPrefix, port, scheme }` on the rule.
//
// Translated from kubernetes-sigs/gateway-api, conformance/tests/ (commit 4564255a):
// httproute-redirect-host-and-status, httproute-redirect-path, httproute-redirect-port,
// httproute-redirect-scheme, httproute-redirect-port-and-scheme, httproute-303-redirect,
// httproute-307-redirect, httproute-308-redirect and httproute-backend-request-redirect (.go
// cases, .yaml routes). Copyright The Kubernetes Authors, licensed under the Apache License,
// Version 2.0 (http://www.apache.org/licenses/LICENSE-2.0). Changes: the HTTPRoutes are written
// as Weft Route rules, the Go test cases as TypeScript data.
import { LISTENERS_AT_EDGE, ONE_LISTENER_PORT } from './limits.ts';
import type { ConformanceGroup, ExpectedResponse } from './types.ts';

const redirectRule = (prefix: string, redirect: Record<string, unknown>) => ({ matches: [{ path: { prefix } }], redirect });

/** A redirect case: the request is not followed; `statusCode` and the Location parts to check. */
function redirected(path: string, statusCode: number, location: ExpectedResponse['redirectRequest'], host?: string): ExpectedResponse {
  return { request: { ...(host ? { host } : {}), path, unfollowRedirect: true }, response: { statusCode }, redirectRequest: location };
}

const PORT_AND_SCHEME_SOURCE = ['httproute-redirect-port-and-scheme.go', 'httproute-redirect-port-and-scheme.yaml'];

export const REDIRECT_GROUPS: ConformanceGroup[] = [
  {
    test: 'HTTPRouteRedirectHostAndStatus',
    source: ['httproute-redirect-host-and-status.go', 'httproute-redirect-host-and-status.yaml'],
    routes: [
      {
        name: 'redirect-host-and-status',
        rules: [redirectRule('/hostname-redirect', { host: 'example.org' }), redirectRule('/host-and-status', { statusCode: 301, host: 'example.org' })],
      },
    ],
    cases: [redirected('/hostname-redirect', 302, { host: 'example.org' }), redirected('/host-and-status', 301, { host: 'example.org' })],
  },
  {
    test: 'HTTPRouteRedirectPath',
    source: ['httproute-redirect-path.go', 'httproute-redirect-path.yaml'],
    routes: [
      {
        name: 'redirect-path',
        rules: [
          redirectRule('/original-prefix', { pathPrefix: '/replacement-prefix' }),
          redirectRule('/full', { path: '/full-path-replacement' }),
          redirectRule('/path-and-host', { host: 'example.org', pathPrefix: '/replacement-prefix' }),
          redirectRule('/path-and-status', { pathPrefix: '/replacement-prefix', statusCode: 301 }),
          redirectRule('/full-path-and-host', { host: 'example.org', path: '/replacement-full' }),
          redirectRule('/full-path-and-status', { path: '/replacement-full', statusCode: 301 }),
        ],
      },
    ],
    cases: [
      redirected('/original-prefix/lemon', 302, { path: '/replacement-prefix/lemon' }),
      redirected('/full/path/original', 302, { path: '/full-path-replacement' }),
      redirected('/path-and-host', 302, { host: 'example.org', path: '/replacement-prefix' }),
      redirected('/path-and-status', 301, { path: '/replacement-prefix' }),
      redirected('/full-path-and-host', 302, { host: 'example.org', path: '/replacement-full' }),
      redirected('/full-path-and-status', 301, { path: '/replacement-full' }),
    ],
  },
  {
    test: 'HTTPRouteRedirectPort',
    source: ['httproute-redirect-port.go', 'httproute-redirect-port.yaml'],
    routes: [
      {
        name: 'redirect-port',
        rules: [
          redirectRule('/port', { port: 8083 }),
          redirectRule('/port-and-host', { host: 'example.org', port: 8083 }),
          redirectRule('/port-and-status', { port: 8083, statusCode: 301 }),
          redirectRule('/port-and-host-and-status', { port: 8083, host: 'example.org', statusCode: 302 }),
        ],
      },
    ],
    cases: [
      redirected('/port', 302, { port: '8083' }),
      redirected('/port-and-host', 302, { host: 'example.org', port: '8083' }),
      redirected('/port-and-status', 301, { port: '8083' }),
      redirected('/port-and-host-and-status', 302, { port: '8083', host: 'example.org' }),
    ],
  },
  {
    test: 'HTTPRouteRedirectScheme',
    source: ['httproute-redirect-scheme.go', 'httproute-redirect-scheme.yaml'],
    routes: [
      {
        name: 'redirect-scheme',
        rules: [
          redirectRule('/scheme', { scheme: 'https' }),
          redirectRule('/scheme-and-host', { host: 'example.org', scheme: 'https' }),
          redirectRule('/scheme-and-status', { scheme: 'https', statusCode: 301 }),
          redirectRule('/scheme-and-host-and-status', { scheme: 'https', statusCode: 302, host: 'example.org' }),
        ],
      },
    ],
    cases: [
      redirected('/scheme', 302, { scheme: 'https' }),
      redirected('/scheme-and-host', 302, { host: 'example.org', scheme: 'https' }),
      redirected('/scheme-and-status', 301, { scheme: 'https' }),
      redirected('/scheme-and-host-and-status', 302, { scheme: 'https', host: 'example.org' }),
    ],
  },
  // The three HTTPRoutes of httproute-redirect-port-and-scheme attach to three listeners and
  // share their paths: Weft has one edge, so each runs on its own, its requests arriving on
  // its listener's scheme and port.
  {
    test: 'HTTPRouteRedirectPortAndScheme/http-listener-on-80',
    source: PORT_AND_SCHEME_SOURCE,
    routes: [
      {
        name: 'http-route-for-listener-on-port-80',
        rules: [
          redirectRule('/scheme-nil-and-port-nil', { host: 'example.org' }),
          redirectRule('/scheme-nil-and-port-80', { port: 80, host: 'example.org' }),
          redirectRule('/scheme-nil-and-port-8080', { port: 8080, host: 'example.org' }),
          redirectRule('/scheme-https-and-port-nil', { scheme: 'https', host: 'example.org' }),
          redirectRule('/scheme-https-and-port-443', { scheme: 'https', port: 443, host: 'example.org' }),
          redirectRule('/scheme-https-and-port-8443', { scheme: 'https', port: 8443, host: 'example.org' }),
        ],
      },
    ],
    cases: [
      redirected('/scheme-nil-and-port-nil', 302, { scheme: 'http', host: 'example.org' }),
      redirected('/scheme-nil-and-port-80', 302, { scheme: 'http', host: 'example.org' }),
      redirected('/scheme-nil-and-port-8080', 302, { scheme: 'http', port: '8080', host: 'example.org' }),
      redirected('/scheme-https-and-port-nil', 302, { scheme: 'https', host: 'example.org' }),
      redirected('/scheme-https-and-port-443', 302, { scheme: 'https', host: 'example.org' }),
      redirected('/scheme-https-and-port-8443', 302, { scheme: 'https', port: '8443', host: 'example.org' }),
    ],
  },
  {
    test: 'HTTPRouteRedirectPortAndScheme/http-listener-on-8080',
    source: PORT_AND_SCHEME_SOURCE,
    only: LISTENERS_AT_EDGE,
    listener: { scheme: 'http', port: 8080 },
    routes: [
      {
        name: 'http-route-for-listener-on-port-8080',
        rules: [
          redirectRule('/scheme-nil-and-port-nil', { host: 'example.org' }),
          redirectRule('/scheme-nil-and-port-80', { port: 80, host: 'example.org' }),
          redirectRule('/scheme-https-and-port-nil', { scheme: 'https', host: 'example.org' }),
        ],
      },
    ],
    cases: [
      { ...redirected('/scheme-nil-and-port-nil', 302, { scheme: 'http', port: '8080', host: 'example.org' }), only: ONE_LISTENER_PORT },
      redirected('/scheme-nil-and-port-80', 302, { scheme: 'http', host: 'example.org' }),
      redirected('/scheme-https-and-port-nil', 302, { scheme: 'https', host: 'example.org' }),
    ],
  },
  {
    test: 'HTTPRouteRedirectPortAndScheme/https-listener-on-443',
    source: PORT_AND_SCHEME_SOURCE,
    only: LISTENERS_AT_EDGE,
    listener: { scheme: 'https', port: 443 },
    routes: [
      {
        name: 'http-route-for-listener-on-port-443',
        rules: [
          redirectRule('/scheme-nil-and-port-nil', { host: 'example.org' }),
          redirectRule('/scheme-nil-and-port-443', { port: 443, host: 'example.org' }),
          redirectRule('/scheme-nil-and-port-8443', { port: 8443, host: 'example.org' }),
          redirectRule('/scheme-http-and-port-nil', { scheme: 'http', host: 'example.org' }),
          redirectRule('/scheme-http-and-port-80', { scheme: 'http', port: 80, host: 'example.org' }),
          redirectRule('/scheme-http-and-port-8080', { scheme: 'http', port: 8080, host: 'example.org' }),
        ],
      },
    ],
    cases: [
      redirected('/scheme-nil-and-port-nil', 302, { scheme: 'https', host: 'example.org' }, 'example.org'),
      redirected('/scheme-nil-and-port-443', 302, { scheme: 'https', host: 'example.org' }, 'example.org'),
      redirected('/scheme-nil-and-port-8443', 302, { scheme: 'https', port: '8443', host: 'example.org' }, 'example.org'),
      redirected('/scheme-http-and-port-nil', 302, { scheme: 'http', host: 'example.org' }, 'example.org'),
      redirected('/scheme-http-and-port-80', 302, { scheme: 'http', host: 'example.org' }, 'example.org'),
      redirected('/scheme-http-and-port-8080', 302, { scheme: 'http', port: '8080', host: 'example.org' }, 'example.org'),
    ],
  },
  {
    test: 'HTTPRoute303Redirect',
    source: ['httproute-303-redirect.go', 'httproute-303-redirect.yaml'],
    routes: [{ name: '303-redirect', rules: [redirectRule('/see-other', { statusCode: 303 })] }],
    cases: [{ request: { path: '/see-other', unfollowRedirect: true, method: 'POST' }, response: { statusCode: 303 }, redirectRequest: { path: '/see-other' } }],
  },
  {
    test: 'HTTPRoute307Redirect',
    source: ['httproute-307-redirect.go', 'httproute-307-redirect.yaml'],
    routes: [{ name: '307-redirect', rules: [redirectRule('/temporary', { statusCode: 307 })] }],
    cases: [redirected('/temporary', 307, { path: '/temporary' })],
  },
  {
    test: 'HTTPRoute308Redirect',
    source: ['httproute-308-redirect.go', 'httproute-308-redirect.yaml'],
    routes: [{ name: '308-redirect', rules: [redirectRule('/permanent', { statusCode: 308 })] }],
    cases: [redirected('/permanent', 308, { path: '/permanent' })],
  },
  {
    test: 'HTTPRouteBackendRequestRedirect',
    source: ['httproute-backend-request-redirect.go', 'httproute-backend-request-redirect.yaml'],
    translation: 'A RequestRedirect on the only backendRef of a rule acts on every request of the rule: written as the rule’s redirect.',
    routes: [
      {
        name: 'backend-request-redirect',
        rules: [redirectRule('/full', { path: '/redirected-full' }), redirectRule('/prefix', { pathPrefix: '/redirected-prefix' })],
      },
    ],
    cases: [redirected('/full/original', 302, { path: '/redirected-full' }), redirected('/prefix/original', 302, { path: '/redirected-prefix/original' })],
  },
];
