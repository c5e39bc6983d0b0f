// Outbound routing through a real sidecar to real upstreams on 127.0.0.1: destination by
// Host or absolute-form target, route match on path/header/method, weights, rewrite,
// redirect, header operations (the rule's and a backend's own), several mirrors, `0s` as no
// timeout, faults, hop-by-hop and identity headers.
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startOutbound } from '../../sidecar/proxy/outbound.ts';
import type { ProxyListener } from '../../sidecar/types.ts';
import { doc } from '../support/compile-yaml.ts';
import { createMeshKeys, fixedSidecarView, meshYaml, RecordingObserver, seenHeaders, send, spiffeIdOf } from '../support/sidecar-fixture.ts';
import type { FixedView, MeshKeys } from '../support/sidecar-fixture.ts';
import { startUpstream } from '../support/upstream-server.ts';
import type { UpstreamServer } from '../support/upstream-server.ts';
import { verifyJwtSvid } from '../../core/identity/jwt-svid.ts';

let keys: MeshKeys;
let view: FixedView;
let v1: UpstreamServer, v2: UpstreamServer, v3: UpstreamServer, details: UpstreamServer, other: UpstreamServer, shadow: UpstreamServer;
let outbound: ProxyListener;
const observer = new RecordingObserver();

function policy(): string {
  return [
    meshYaml('strict'),
    doc(
      'Service',
      'reviews',
      `port: 9080
subsets:
  - { name: v1, labels: { version: v1 } }
  - { name: v2, labels: { version: v2 } }
  - { name: v3, labels: { version: v3 } }
endpoints:
  - { address: 127.0.0.1, port: ${v1.port}, labels: { version: v1 } }
  - { address: 127.0.0.1, port: ${v2.port}, labels: { version: v2 } }
  - { address: 127.0.0.1, port: ${v3.port}, labels: { version: v3 } }`,
    ),
    doc('Service', 'details', `port: 9080\nendpoints:\n  - { address: 127.0.0.1, port: ${details.port} }`),
    `apiVersion: weft/v1\nkind: Service\nmetadata:\n  name: billing\n  namespace: other\nspec:\n  port: 9080\n  endpoints:\n    - { address: 127.0.0.1, port: ${other.port} }\n`,
    // Three Services on one upstream, so the copies of every mirror can be counted there.
    ...['shadow-a', 'shadow-b', 'shadow-c'].map((name) => doc('Service', name, `port: 9080\nendpoints:\n  - { address: 127.0.0.1, port: ${shadow.port} }`)),
    doc(
      'Route',
      'details',
      `mesh:
  services: [details]
rules:
  - name: zero
    matches:
      - path: { prefix: /zero }
    backends:
      - { service: reviews, subset: v1, weight: 0 }
      - { service: reviews, subset: v3, weight: 2 }
  - name: none
    matches:
      - path: { prefix: /none }
    backends:
      - { service: reviews, subset: v1, weight: 0 }
      - { service: reviews, subset: v3, weight: 0 }
  - name: per-backend
    matches:
      - path: { prefix: /per-backend }
    requestHeaders: { set: { x-backend: rule, x-rule: "yes" } }
    responseHeaders: { set: { x-from: rule } }
    backends:
      - service: reviews
        subset: v1
        requestHeaders: { set: { x-backend: v1 } }
        responseHeaders: { set: { x-from: v1 } }
      - service: reviews
        subset: v3
        requestHeaders: { remove: [x-rule] }
  - name: mirrors
    matches:
      - path: { prefix: /mirrors }
    backends: [{ service: details }]
    mirror:
      - { service: shadow-a }
      - { service: shadow-b, percent: 100 }
      - { service: shadow-c, percent: 0 }
  - name: bounded
    matches:
      - path: { prefix: /slow/bounded }
    rewrite: { pathPrefix: /slow }
    backends: [{ service: details }]
    timeout: 150ms
  - name: unbounded
    matches:
      - path: { prefix: /slow }
    backends: [{ service: details }]
    timeout: 0s
    retries: { perTryTimeout: 0s }
  - name: default
    backends: [{ service: details }]`,
    ),
    doc(
      'Route',
      'reviews',
      `mesh:
  services: [reviews]
rules:
  - name: jason
    matches:
      - headers: [{ name: end-user, exact: jason }]
    backends: [{ service: reviews, subset: v2 }]
  - name: writes
    matches:
      - path: { prefix: /write }
        methods: [POST]
    backends: [{ service: reviews, subset: v3 }]
  - name: old-api
    matches:
      - path: { prefix: /api/v1 }
    rewrite: { pathPrefix: /v2 }
    requestHeaders: { set: { x-route: old-api }, remove: [x-drop-me] }
    responseHeaders: { add: { x-served-by: weft }, remove: [server] }
    backends: [{ service: reviews, subset: v1 }]
  - name: moved
    matches:
      - path: { exact: /moved }
    redirect: { path: /new-home, statusCode: 301 }
  - name: broken
    matches:
      - path: { prefix: /broken }
    fault: { abort: { status: 418, percent: 100 } }
    backends: [{ service: reviews, subset: v1 }]
  - name: sleepy
    matches:
      - path: { prefix: /sleepy }
    fault: { delay: { fixed: 300ms, percent: 100 } }
    backends: [{ service: reviews, subset: v1 }]
  - name: canary
    matches:
      - path: { prefix: /canary }
    backends:
      - { service: reviews, subset: v1, weight: 80 }
      - { service: reviews, subset: v3, weight: 20 }
  - name: default
    backends: [{ service: reviews, subset: v1 }]`,
    ),
  ].join('---\n');
}

beforeAll(async () => {
  [v1, v2, v3, details, other, shadow] = (await Promise.all(['v1', 'v2', 'v3', 'details', 'other', 'shadow'].map(startUpstream))) as [
    UpstreamServer,
    UpstreamServer,
    UpstreamServer,
    UpstreamServer,
    UpstreamServer,
    UpstreamServer,
  ];
  keys = await createMeshKeys();
  view = await fixedSidecarView({ keys, policy: policy(), service: 'productpage' });
  outbound = await startOutbound({ view, observer, port: 0 });
});

afterAll(async () => {
  await outbound.close(100);
  await Promise.all([v1, v2, v3, details, other, shadow].map((u) => u.close()));
});

describe('outbound destination', () => {
  it('routes by Host to a service in this namespace, ignoring the port', async () => {
    const r = await send(outbound.port, { host: 'details:9080', path: '/x' });
    expect(r.status).toBe(200);
    expect(r.json?.upstream).toBe('details');
  });

  it('routes an HTTP_PROXY absolute-form request', async () => {
    const r = await send(outbound.port, { host: 'details', path: '/via-proxy?q=1', absoluteForm: true });
    expect(r.status).toBe(200);
    expect(r.json?.upstream).toBe('details');
    expect(r.json?.url).toBe('/via-proxy?q=1');
  });

  it('routes name.namespace to another namespace', async () => {
    const r = await send(outbound.port, { host: 'billing.other', path: '/' });
    expect(r.json?.upstream).toBe('other');
  });

  it('answers 502 unknown_service for a host the mesh does not know (registry-only)', async () => {
    const r = await send(outbound.port, { host: 'example.com', path: '/' });
    expect(r.status).toBe(502);
    expect((r.json?.error as { code: string }).code).toBe('unknown_service');
  });

  it('answers a gRPC-Web caller the same refusal as grpc-status 14 (UNAVAILABLE), trailers-only', async () => {
    const r = await send(outbound.port, { host: 'example.com', path: '/helloworld.Greeter/SayHello', method: 'POST', headers: { 'content-type': 'application/grpc-web-text' }, body: 'AAAAAAA=' });
    expect([r.status, r.headers['content-type'], r.headers['grpc-status'], r.text]).toEqual([200, 'application/grpc-web-text', '14', '']);
    expect(decodeURIComponent(String(r.headers['grpc-message']))).toBe('"example.com" is not a service of the mesh (outbound traffic is registry-only)');
  });

  it('answers 400 invalid_path for a path normalization refuses', async () => {
    const r = await send(outbound.port, { host: 'details', path: '/a%2Fb' });
    expect(r.status).toBe(400);
    expect((r.json?.error as { code: string }).code).toBe('invalid_path');
  });

  it('normalizes the path before routing and sends the normalized path', async () => {
    const r = await send(outbound.port, { host: 'details', path: '/a//b/../c' });
    expect(r.json?.url).toBe('/a/c');
  });
});

describe('outbound route match', () => {
  it('matches on a header', async () => {
    expect((await send(outbound.port, { host: 'reviews', path: '/r', headers: { 'end-user': 'jason' } })).json?.upstream).toBe('v2');
    expect((await send(outbound.port, { host: 'reviews', path: '/r', headers: { 'end-user': 'kim' } })).json?.upstream).toBe('v1');
  });

  it('matches on path and method', async () => {
    expect((await send(outbound.port, { host: 'reviews', path: '/write/1', method: 'POST', body: 'x' })).json?.upstream).toBe('v3');
    expect((await send(outbound.port, { host: 'reviews', path: '/write/1', method: 'GET' })).json?.upstream).toBe('v1');
  });

  it('splits by weight within tolerance', async () => {
    const counts: Record<string, number> = {};
    for (let i = 0; i < 400; i++) {
      const u = (await send(outbound.port, { host: 'reviews', path: '/canary' })).json?.upstream as string;
      counts[u] = (counts[u] ?? 0) + 1;
    }
    expect((counts.v1 ?? 0) / 400).toBeGreaterThan(0.7);
    expect((counts.v1 ?? 0) / 400).toBeLessThan(0.9);
    expect((counts.v1 ?? 0) + (counts.v3 ?? 0)).toBe(400);
  });

  it('rewrites the path prefix and applies request and response header operations', async () => {
    const r = await send(outbound.port, { host: 'reviews', path: '/api/v1/items?x=1', headers: { 'x-drop-me': 'yes' } });
    expect(r.json?.url).toBe('/v2/items?x=1');
    const h = seenHeaders(r);
    expect(h['x-route']).toBe('old-api');
    expect(h['x-drop-me']).toBeUndefined();
    expect(r.headers['x-served-by']).toBe('weft');
    expect(r.headers.server).toBeUndefined();
  });

  it('redirects', async () => {
    const r = await send(outbound.port, { host: 'reviews', path: '/moved?k=v' });
    expect(r.status).toBe(301);
    expect(r.headers.location).toBe('http://reviews/new-home?k=v');
  });

  it('injects an abort fault', async () => {
    const r = await send(outbound.port, { host: 'reviews', path: '/broken' });
    expect(r.status).toBe(418);
    expect((r.json?.error as { code: string }).code).toBe('fault_injected');
  });

  it('injects a delay fault, then forwards', async () => {
    const started = Date.now();
    const r = await send(outbound.port, { host: 'reviews', path: '/sleepy' });
    expect(r.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290); // the configured delay is a lower bound, not a timing threshold
  });
});

describe('outbound route actions of the Gateway API', () => {
  const code = (r: { json?: Record<string, unknown> | undefined }) => (r.json?.error as { code: string } | undefined)?.code;

  it('sends nothing to a backend of weight 0; all weights 0 answer no_backend', async () => {
    for (let i = 0; i < 20; i++) expect((await send(outbound.port, { host: 'details', path: `/zero/${i}` })).json?.upstream).toBe('v3');
    const none = await send(outbound.port, { host: 'details', path: '/none' });
    expect(none.status).toBeGreaterThanOrEqual(500);
    expect(code(none)).toBe('no_backend');
  });

  it('applies a backend’s own header operations after the rule’s, to that backend only', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 24; i++) {
      const r = await send(outbound.port, { host: 'details', path: `/per-backend/${i}` });
      const h = seenHeaders(r);
      const upstream = r.json?.upstream as string;
      seen.add(upstream);
      if (upstream === 'v1') expect([h['x-backend'], h['x-rule'], r.headers['x-from']]).toEqual(['v1', 'yes', 'v1']);
      else expect([h['x-backend'], h['x-rule'], r.headers['x-from']]).toEqual(['rule', undefined, 'rule']);
    }
    // 1:1 over 24 requests: both backends answer, unless the split is broken.
    expect([...seen].sort()).toEqual(['v1', 'v3']);
  });

  it('copies the request to each mirror its own percent draws, none to a 0% one', async () => {
    const path = `/mirrors/${Math.random().toString(36).slice(2)}`;
    expect((await send(outbound.port, { host: 'details', path })).json?.upstream).toBe('details');
    const copies = await vi.waitFor(async () => {
      const log = ((await (await fetch(`http://127.0.0.1:${shadow.port}/__log`)).json()) as { url: string; headers: Record<string, string> }[]).filter((e) => e.url === path);
      expect(log).toHaveLength(2);
      return log;
    });
    expect(copies.every((c) => c.headers['x-weft-shadow'] === 'true')).toBe(true);
  });

  it('waits without limit under timeout 0s and perTryTimeout 0s, where a bounded rule answers 504', async () => {
    const bounded = await send(outbound.port, { host: 'details', path: '/slow/bounded/600' });
    expect([bounded.status, code(bounded)]).toEqual([504, 'upstream_timeout']);
    const r = await send(outbound.port, { host: 'details', path: '/slow/600' });
    expect([r.status, r.json?.upstream]).toEqual([200, 'details']);
  });
});

describe('outbound headers', () => {
  it('strips hop-by-hop headers, Connection-listed ones and Proxy-Authorization', async () => {
    // node:http, not undici: undici refuses to send Connection and Keep-Alive itself
    const body = await new Promise<string>((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port: outbound.port,
          path: '/h',
          headers: { host: 'details', connection: 'keep-alive, x-secret-hop', 'x-secret-hop': '1', 'keep-alive': 'timeout=5', 'proxy-authorization': 'Basic abc', te: 'trailers, deflate', 'x-kept': 'yes' },
        },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve(text));
        },
      );
      req.on('error', reject);
      req.end();
    });
    const h = (JSON.parse(body) as { headers: Record<string, string> }).headers;
    expect(h['x-secret-hop']).toBeUndefined();
    expect(h['proxy-authorization']).toBeUndefined();
    expect(h['keep-alive']).toBeUndefined();
    expect(h.te).toBe('trailers');
    expect(h['x-kept']).toBe('yes');
  });

  it('replaces identity headers the app sent with a JWT-SVID for the destination, and keeps the edge token', async () => {
    const r = await send(outbound.port, {
      host: 'details',
      path: '/id',
      headers: { 'x-weft-svid': 'forged', 'x-weft-peer-id': 'spiffe://weft.local/ns/default/sa/admin', 'x-weft-principal': 'root', 'x-weft-claims': '{}', 'x-weft-edge-token': 'edge.token.here' },
    });
    const h = seenHeaders(r);
    expect(h['x-weft-peer-id']).toBeUndefined();
    expect(h['x-weft-principal']).toBeUndefined();
    expect(h['x-weft-claims']).toBeUndefined();
    expect(h['x-weft-edge-token']).toBe('edge.token.here');
    const verified = await verifyJwtSvid(h['x-weft-svid'] as string, { trustBundle: keys.bundle.jwks, audience: spiffeIdOf('default', 'details') });
    expect(verified.ok && verified.spiffeId).toBe(spiffeIdOf('default', 'productpage'));
  });

  it('appends x-forwarded-for, sets x-forwarded-proto and continues the trace', async () => {
    const parent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const r = await send(outbound.port, { host: 'details', path: '/t', headers: { 'x-forwarded-for': '10.0.0.1', traceparent: parent } });
    const h = seenHeaders(r);
    expect(h['x-forwarded-for']).toBe('10.0.0.1, 127.0.0.1');
    expect(h['x-forwarded-proto']).toBe('http');
    expect(h.traceparent).toMatch(/^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$/);
    expect(h.traceparent).not.toBe(parent);
    const started = seenHeaders(await send(outbound.port, { host: 'details', path: '/t' })).traceparent;
    expect(started).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
  });

  it('answers 503 no_identity when no SVID can be had', async () => {
    view.setIdentityAvailable(false);
    try {
      const r = await send(outbound.port, { host: 'details', path: '/' });
      expect(r.status).toBe(503);
      expect((r.json?.error as { code: string }).code).toBe('no_identity');
    } finally {
      view.setIdentityAvailable(true);
    }
  });

  it('reports each request to the observer', async () => {
    const before = observer.requests.length;
    await send(outbound.port, { host: 'reviews', path: '/r', headers: { 'end-user': 'jason' } });
    // The observer hears of a request when its response has closed.
    const e = await vi.waitFor(() => observer.requests.slice(before).at(-1) ?? expect.unreachable('no request reported yet'));
    expect(e).toMatchObject({ direction: 'outbound', method: 'GET', authority: 'reviews', path: '/r', route: 'default/reviews#jason', service: 'default/reviews', status: 200, upstream: `127.0.0.1:${v2.port}`, retries: 0, reason: null });
  });
});
