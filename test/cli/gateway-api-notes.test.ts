// `weft import gateway-api` on hand-written manifests for what real ones rarely show: one note
// per field Weft cannot carry over (file:line: object field: why), what is dropped rather than
// widened, retries exactly as the source says, and hostname intersection per the spec.
import { describe, expect, it } from 'vitest';
import { intersectHostnames } from '../../cli/gateway-api/hostnames.ts';
import { importGatewayApi } from '../../cli/gateway-api/import.ts';
import { formatNote } from '../../cli/gateway-api/notes.ts';
import type { WeftRouteSpec } from '../../cli/gateway-api/weft-types.ts';
import { documentsToYaml } from '../../cli/gateway-api/write-yaml.ts';
import { compileTexts } from '../support/gateway-api.ts';

const GATEWAY = `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: web
  namespace: apps
spec:
  gatewayClassName: any
  listeners:
  - name: http
    port: 80
    protocol: HTTP
    hostname: "*.example.com"
`;

function route(rules: string, extra = ''): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: shop
  namespace: apps
spec:
  parentRefs:
  - name: web
${extra}  rules:
${rules}`;
}

function run(text: string) {
  const r = importGatewayApi([{ file: 'routes.yaml', text }, { file: 'gateway.yaml', text: GATEWAY }]);
  return { ...r, notes: r.notes.map(formatNote), routes: r.documents.filter((d) => d.document.kind === 'Route').map((d) => d.document.spec as WeftRouteSpec) };
}

describe('notes for what Weft cannot carry over', () => {
  it('an ExtensionRef filter: file:line, object, field path and filter type, and why', () => {
    const r = run(
      route(`  - backendRefs:
    - name: cart
      port: 8080
    filters:
    - type: RequestHeaderModifier
      requestHeaderModifier:
        set:
        - name: x-shop
          value: "1"
    - type: ExtensionRef
      extensionRef:
        group: example.io
        kind: Magic
        name: sparkle
`),
    );
    expect(r.notes).toEqual(['routes.yaml:19: HTTPRoute apps/shop rules[0].filters[1] ExtensionRef: not expressible in Weft (an implementation\'s own filter, example.io/Magic sparkle); dropped']);
    expect(r.routes).toEqual([{ edge: { hosts: ['*.example.com'] }, rules: [{ backends: [{ service: 'cart' }], requestHeaders: { set: { 'x-shop': '1' } } }] }]);
  });

  it('ExternalAuth, sessionPersistence, an unknown field and a mirror on one backend each get a note', () => {
    const r = run(
      route(`  - backendRefs:
    - name: cart
      port: 8080
      filters:
      - type: RequestMirror
        requestMirror:
          backendRef:
            name: shadow
            port: 8080
    filters:
    - type: ExternalAuth
      externalAuth:
        protocol: HTTP
        backendRef:
          name: auth
    sessionPersistence:
      sessionName: shop
    colour: blue
`),
    );
    expect(r.notes).toEqual([
      'routes.yaml:14: HTTPRoute apps/shop rules[0].backendRefs[0].filters[0] RequestMirror: not expressible in Weft on one backend (only header modifiers are); dropped',
      'routes.yaml:20: HTTPRoute apps/shop rules[0].filters[0] ExternalAuth: not expressible in Weft (Weft authenticates end users itself: write an Authentication with JWT or API keys); dropped',
      'routes.yaml:26: HTTPRoute apps/shop rules[0].sessionPersistence: not expressible on a Weft rule (session affinity is the Service’s loadBalancer: consistent-hash on a cookie or header); dropped',
      'routes.yaml:27: HTTPRoute apps/shop rules[0].colour: not carried over (a field weft import does not know)',
    ]);
  });

  it('a regex Weft cannot run drops its match, never widens the rule; a rule left with no match is dropped', () => {
    const r = run(
      route(`  - matches:
    - path:
        type: RegularExpression
        value: /a\\Z
    - path:
        type: Exact
        value: /b
    backendRefs:
    - name: cart
      port: 8080
  - matches:
    - headers:
      - type: RegularExpression
        name: x-v
        value: "\\\\Z"
    backendRefs:
    - name: cart
      port: 8080
`),
    );
    expect(r.routes[0]?.rules).toEqual([{ matches: [{ path: { exact: '/b' } }], backends: [{ service: 'cart' }] }]);
    expect(r.notes).toHaveLength(3);
    expect(r.notes[0]).toMatch(/^routes\.yaml:12: HTTPRoute apps\/shop rules\[0\]\.matches\[0\]\.path: regular expression "\/a\\Z" is not valid in Weft .*; this match is dropped$/);
    expect(r.notes[1]).toBe('routes.yaml:21: HTTPRoute apps/shop rules[1].matches: no match Weft can express is left: the rule is dropped (without matches it would take every request)');
    expect(r.notes[2]).toMatch(/^routes\.yaml:22: HTTPRoute apps\/shop rules\[1\]\.matches\[0\]\.headers: .*; this match is dropped$/);
  });

  it('TCPRoute, a route the listener does not allow, and a name Weft cannot use', () => {
    const text = `apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TCPRoute
metadata:
  name: db
  namespace: apps
spec:
  rules:
  - backendRefs:
    - name: db
      port: 5432
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: other
  namespace: elsewhere
spec:
  parentRefs:
  - name: web
    namespace: apps
  rules:
  - backendRefs:
    - name: cart
      port: 8080
---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: HTTPRoute
metadata:
  name: shop.v2
  namespace: apps
spec:
  parentRefs:
  - name: web
  hostnames: [shop.example.com]
  rules:
  - backendRefs:
    - name: cart
      port: 8080
`;
    const r = run(text);
    expect(r.notes).toEqual([
      'routes.yaml:1: TCPRoute apps/db: not expressible in Weft (Weft routes HTTP, gRPC and WebSockets; TCPRoute is TCP/TLS/UDP routing); skipped',
      'routes.yaml:12: HTTPRoute elsewhere/other: not imported: it attaches to no Gateway listener and no Service',
      'routes.yaml:19: HTTPRoute elsewhere/other parentRefs[0]: listener http allows routes from its own namespace (apps) only: not attached to Gateway apps/web',
      'routes.yaml:29: HTTPRoute apps/shop.v2 metadata.name: imported as Route apps/shop-v2 (Weft names are DNS labels)',
    ]);
    expect(r.routes).toEqual([{ edge: { hosts: ['shop.example.com'] }, rules: [{ backends: [{ service: 'cart' }] }] }]);
  });

  it('a redirecting rule drops its backendRefs with a note; an HTTP→HTTPS redirect on an HTTP listener is dropped', () => {
    const r = run(
      route(`  - matches:
    - path:
        value: /old
    filters:
    - type: RequestRedirect
      requestRedirect:
        path:
          type: ReplaceFullPath
          replaceFullPath: /new
        statusCode: 301
    backendRefs:
    - name: cart
      port: 8080
  - filters:
    - type: RequestRedirect
      requestRedirect:
        scheme: https
`),
    );
    expect(r.routes[0]?.rules).toEqual([{ matches: [{ path: { prefix: '/old' } }], redirect: { path: '/new', statusCode: 301 } }]);
    expect(r.notes).toEqual([
      'routes.yaml:21: HTTPRoute apps/shop rules[0].backendRefs: a redirecting rule sends nothing to backends: dropped',
      'routes.yaml:24: HTTPRoute apps/shop rules[1].filters: an https redirect to the same host, on plain-HTTP listeners only: Weft routes do not tell HTTP from HTTPS, so HTTPS requests would be redirected too (a loop); the rule is dropped — at the edge, use the zone’s Always Use HTTPS setting',
    ]);
  });
});

describe('retries exactly as the source says', () => {
  it('no retry stanza: no retries (the Mesh default applies); a backendRequest timeout alone is the per-try timeout', () => {
    const r = run(
      route(`  - backendRefs:
    - name: cart
      port: 8080
    timeouts:
      request: 10s
      backendRequest: 2s
`),
    );
    expect(r.routes[0]?.rules).toEqual([{ backends: [{ service: 'cart' }], timeout: '10s', retries: { perTryTimeout: '2s' } }]);
    expect(r.notes).toEqual([]);
  });

  it('attempts, codes and backoff; connection errors as the spec has implementations retry them; attempts capped at 10 with a note', () => {
    const r = run(
      route(`  - backendRefs:
    - name: cart
      port: 8080
    retry:
      attempts: 12
      codes: [502, 503]
      backoff: 100ms
`),
    );
    expect(r.routes[0]?.rules[0]?.retries).toEqual({ attempts: 10, retryOn: ['connect-failure', 'reset', 'retriable-status-codes'], statusCodes: [502, 503], backoff: { baseInterval: '100ms' } });
    expect(r.notes).toEqual(['routes.yaml:14: HTTPRoute apps/shop rules[0].retry.attempts: 12 attempts: Weft retries at most 10 times; 10 is used']);
    expect(compileTexts({ 'out.yaml': documentsToYaml(r.documents) }).ok).toBe(true);
  });
});

describe('hostname intersection (HTTPRoute.spec.hostnames)', () => {
  it.each([
    [[], undefined, ['*']],
    [['a.example.com'], undefined, ['a.example.com']],
    [[], '*.example.com', ['*.example.com']],
    [['test.example.com', 'test.example.net'], '*.example.com', ['test.example.com']],
    [['foo.test.example.com', '*.example.com', 'example.com'], '*.example.com', ['foo.test.example.com', '*.example.com']],
    [['*.specific.com'], 'very.specific.com', ['very.specific.com']],
    [['*.example.com'], '*.a.example.com', ['*.a.example.com']],
    [['*.a.example.com'], '*.example.com', ['*.a.example.com']],
    [['Very.Specific.com'], 'very.specific.com', ['very.specific.com']],
    [['wildcard.io'], '*.wildcard.io', []],
    [['*.other.com'], 'very.specific.com', []],
  ] as [string[], string | undefined, string[]][])('route %j, listener %s → %j', (routeHosts, listener, expected) => {
    expect(intersectHostnames(routeHosts, listener)).toEqual(expected);
  });
});
