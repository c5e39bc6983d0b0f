// Parity: the same (snapshot, request) cases through the gateway's stage list and through the
// mesh's (the caller's outbound, then the callee's inbound), in-process, no sockets. A route
// that applies at the edge and in the mesh must be decided the same way on both: status,
// error code, route, backend, the headers the service receives, the headers the client gets.
import { beforeAll, describe, expect, it } from 'vitest';
import { JwksCache } from '../../core/authn/jwks-cache.ts';
import { authorityPort } from '../../core/http/listener-port.ts';
import { SVID_HEADER } from '../../core/identity/jwt-svid.ts';
import { EndpointPools } from '../../core/lb/endpoint-pools.ts';
import { renderAnswer } from '../../core/pipeline/answer.ts';
import type { Answer } from '../../core/pipeline/answer.ts';
import type { PipelineContext, Plane, RequestView } from '../../core/pipeline/context.ts';
import { createContext } from '../../core/pipeline/create-context.ts';
import { hostOnly } from '../../core/pipeline/destination.ts';
import { EDGE_STAGES, INBOUND_STAGES, outboundStages, runStages } from '../../core/pipeline/pipelines.ts';
import type { InboundPieces, PlanePieces, TryOutcome, TryRequest } from '../../core/pipeline/pieces.ts';
import { MemoryCounterStore } from '../../core/ratelimit/memory-counter-store.ts';
import type { SnapshotRuntime } from '../../core/runtime/snapshot-runtime.ts';
import { runtimeFromYaml } from '../support/sidecar-fixture.ts';

const API_KEY = 'parity-key';
const GRPC_WEB = { 'content-type': 'application/grpc-web+proto' };
const CALLER = 'spiffe://weft.local/ns/default/sa/web';

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

async function policy(): Promise<string> {
  return `
apiVersion: weft/v1
kind: Mesh
metadata: { name: mesh }
spec:
  trustDomain: weft.local
  mtls: { mode: permissive }
---
apiVersion: weft/v1
kind: Service
metadata: { name: api }
spec:
  port: 8080
  subsets:
    - { name: stable, labels: { track: stable } }
    - { name: canary, labels: { track: canary } }
  endpoints:
    - { address: 10.0.0.1, port: 8080, labels: { track: stable } }
    - { address: 10.0.0.2, port: 8080, labels: { track: canary } }
---
apiVersion: weft/v1
kind: Route
metadata: { name: api }
spec:
  edge: { hosts: [api.example.com] }
  mesh: { services: [api] }
  rules:
    - name: secure
      matches: [{ path: { prefix: /secure } }]
      backends: [{ service: api, subset: stable }]
    - name: admin
      matches: [{ path: { prefix: /admin } }]
      backends: [{ service: api, subset: stable }]
    - name: limited
      matches: [{ path: { prefix: /limited } }]
      backends: [{ service: api, subset: stable }]
    - name: broken
      matches: [{ path: { prefix: /broken } }]
      backends: [{ service: api, subset: stable }]
      fault: { abort: { status: 418, percent: 100 } }
    - name: moved
      matches: [{ path: { prefix: /old } }]
      redirect: { path: /new, statusCode: 301 }
    - name: canary
      matches: [{ headers: [{ name: x-beta, exact: "yes" }] }]
      backends: [{ service: api, subset: canary }]
      requestHeaders: { set: { x-track: canary } }
    - name: canary-again
      matches: [{ headers: [{ name: x-beta, exact: "yes" }] }]
      backends: [{ service: api, subset: stable }]
    - name: legacy
      matches: [{ path: { prefix: /legacy } }]
      backends: [{ service: api, subset: stable, weight: 100 }]
      rewrite: { pathPrefix: /v2 }
      requestHeaders: { set: { x-from-route: "yes" }, remove: [x-drop-me] }
    - name: weighted
      matches: [{ path: { prefix: /weighted } }]
      requestHeaders: { set: { x-track: rule, x-from-route: "yes" } }
      backends:
        - { service: api, subset: stable, weight: 0 }
        - { service: api, subset: canary, weight: 2, requestHeaders: { set: { x-track: canary-backend } } }
    - name: drained
      matches: [{ path: { prefix: /drained } }]
      backends: [{ service: api, subset: stable, weight: 0 }, { service: api, subset: canary, weight: 0 }]
    - name: greeter
      matches: [{ grpc: { service: helloworld.Greeter } }]
      backends: [{ service: api, subset: stable }]
    - name: default
      backends: [{ service: api, subset: stable }]
---
# Identical to rules of Route api, which sorts first: a compile warning, and never matches.
apiVersion: weft/v1
kind: Route
metadata: { name: api-copy }
spec:
  edge: { hosts: [api.example.com] }
  mesh: { services: [api] }
  rules:
    - name: legacy-copy
      matches: [{ path: { prefix: /legacy } }]
      backends: [{ service: api, subset: canary }]
---
apiVersion: weft/v1
kind: Authentication
metadata: { name: secure }
spec:
  targetRefs: [{ kind: Route, name: api }]
  mode: optional
  apiKeys:
    from: { header: x-api-key }
    keys: [{ name: acme, sha256: ${await sha256Hex(API_KEY)}, claims: { plan: partner } }]
---
apiVersion: weft/v1
kind: AccessPolicy
metadata: { name: no-admin }
spec:
  targetRefs: [{ kind: Route, name: api }]
  action: deny
  rules: [{ to: { paths: ["/admin/*", "/admin", "/helloworld.Greeter/Delete"] } }]
---
apiVersion: weft/v1
kind: RateLimit
metadata: { name: limited }
spec:
  targetRefs: [{ kind: Route, name: api }]
  limits:
    - { name: per-tenant, key: { header: x-tenant }, requests: 2, period: 1m, burst: 2, scope: local }
`;
}

/** What a client and a service see of one request: the decision both planes must agree on. */
interface Decision {
  /** As the client gets it: a gRPC caller's refusal is HTTP 200 with a gRPC status. */
  status: number;
  grpcStatus: number | null;
  code: string | null;
  route: string | null;
  backend: string | null;
  /** Path the service received, and the headers of interest it received. */
  upstreamPath: string | null;
  upstream: Record<string, string | null>;
  /** RateLimit-*, Retry-After, Location as the client gets them. */
  client: Record<string, string | null>;
}

const UPSTREAM_HEADERS = ['x-from-route', 'x-drop-me', 'x-track', 'x-api-key', 'grpc-timeout'];
const CLIENT_HEADERS = ['ratelimit-limit', 'ratelimit-remaining', 'retry-after', 'location', 'grpc-retry-pushback-ms'];

/** `upgrade`: what the runtime's server shows of a protocol switch (at the edge the Upgrade header; inbound, what the caller's sidecar upgraded to). */
function view(host: string, path: string, headers: Headers, upgrade: string | null = headers.get('upgrade')): RequestView {
  const q = path.indexOf('?');
  const rawQuery = q < 0 ? '' : path.slice(q + 1);
  return {
    method: 'GET',
    host: hostOnly(host),
    rawPath: q < 0 ? path : path.slice(0, q),
    rawQuery,
    query: new URLSearchParams(rawQuery),
    headers,
    clientIp: '192.0.2.7',
    scheme: 'http',
    authority: host,
    listenerPort: authorityPort(host, 'http'),
    tlsPeer: null,
    upgrade,
  };
}

type Delivered = { status: number; path: string; headers: Headers };

function pieces(counters: MemoryCounterStore, tryOnce: (c: PipelineContext, t: TryRequest, upgrade: boolean) => Promise<TryOutcome<Delivered>>): PlanePieces<Delivered> & { c?: PipelineContext } {
  const p: PlanePieces<Delivered> & { c?: PipelineContext } = {
    now: () => 1_000_000,
    random: () => 0.5,
    sleep: async () => undefined,
    counters: { local: counters, global: counters },
    authn: { jwks: new JwksCache({ fetch: () => Promise.reject(new Error('no network in parity tests')) }) },
    pools: new EndpointPools({ now: () => 1_000_000, random: () => 0.5 }),
    registered: () => undefined,
    body: () => true,
    tryOnce: (t) => tryOnce(p.c as PipelineContext, t, false),
    tryUpgrade: (t) => tryOnce(p.c as PipelineContext, t, true),
    mirror: () => undefined,
    identity: (c) => {
      c.upstreamHeaders.set(SVID_HEADER, 'svid-of-web');
      return undefined;
    },
    observer: {},
  };
  return p;
}

function decision(answer: Answer | undefined, c: PipelineContext, delivered: Delivered | undefined, responseHeaders: [string, string][]): Decision {
  const rendered = answer ? renderAnswer(answer, { method: c.request.method, contentType: c.request.headers.get('content-type') }, responseHeaders) : undefined;
  const client = new Headers(rendered?.headers ?? {});
  for (const [name, value] of responseHeaders) client.set(name, value);
  return {
    status: rendered?.status ?? delivered?.status ?? 0,
    grpcStatus: rendered?.grpcStatus ?? null,
    code: answer?.code ?? null,
    route: c.routeLabel,
    // The service the request reached: the mesh picks it before the callee decides, so a refusal names none on either plane.
    backend: delivered && c.backend ? `${c.backend.service.id}/${c.backend.subset ?? ''}` : null,
    upstreamPath: delivered?.path ?? null,
    upstream: Object.fromEntries(UPSTREAM_HEADERS.map((h) => [h, delivered?.headers.get(h) ?? null])),
    client: Object.fromEntries(CLIENT_HEADERS.map((h) => [h, client.get(h)])),
  };
}

/** The service behind both planes: answers 200 (101 to an upgrade) and records what it received. */
function service(c: PipelineContext, upgrade = false): TryOutcome<Delivered> {
  const status = upgrade ? 101 : 200;
  return { kind: 'committed', status, value: { status, path: c.upstreamPath, headers: new Headers(c.upstreamHeaders as Headers) } };
}

class Planes {
  readonly edgeCounters = new MemoryCounterStore();
  readonly meshCounters = new MemoryCounterStore();
  readonly runtime: SnapshotRuntime;
  constructor(runtime: SnapshotRuntime) {
    this.runtime = runtime;
  }

  async edge(path: string, headers: Record<string, string>): Promise<Decision> {
    const p = pieces(this.edgeCounters, async (c, _t, upgrade) => service(c, upgrade));
    const c = this.context('edge', p, view('api.example.com', path, new Headers(headers)));
    const answer = await runStages(EDGE_STAGES, c);
    return decision(answer, c, c.delivered as Delivered | undefined, c.responseHeaders);
  }

  /** The caller's outbound, whose one try is the callee's inbound (what the wire would carry). */
  async mesh(path: string, headers: Record<string, string>): Promise<Decision> {
    let inbound: PipelineContext | undefined;
    let inboundAnswer: Answer | undefined;
    const outPieces = pieces(new MemoryCounterStore(), async (out, _t, upgrade) => {
      const wire = new Headers(out.upstreamHeaders as Headers);
      const target = out.request.rawQuery ? `${out.upstreamPath}?${out.request.rawQuery}` : out.upstreamPath;
      const inPieces = pieces(this.meshCounters, async () => ({ kind: 'failed', error: 'connect-failure', message: 'inbound makes no tries' }));
      const callee: InboundPieces = {
        verifySvid: async (token) => (token === 'svid-of-web' ? { ok: true, value: CALLER } : { ok: false, code: 'bad_signature', message: 'forged' }),
        verifyEdgeToken: async () => ({ ok: false, code: 'malformed', message: 'no edge tokens here' }),
        edgeIssuer: () => '',
        mtlsCapable: () => false,
        toApp: async () => service(inbound as PipelineContext),
        upgradeToApp: async () => service(inbound as PipelineContext, true),
      };
      inPieces.inbound = callee;
      inbound = this.context('inbound', inPieces, view(out.upstreamHost ?? 'api', target, wire, upgrade ? 'websocket' : null), 'default/api');
      inboundAnswer = await runStages(INBOUND_STAGES, inbound);
      if (inboundAnswer) return { kind: 'committed', status: inboundAnswer.status, value: { status: inboundAnswer.status, path: '', headers: new Headers() } };
      return { kind: 'committed', status: 200, value: inbound.delivered as Delivered };
    });
    const out = this.context('outbound', outPieces, view('api', path, new Headers(headers)));
    const answer = await runStages(outboundStages('default'), out);
    if (answer || !inbound) return decision(answer, out, undefined, out.responseHeaders);
    // The callee's answer (or the app's) is what the client gets, with the callee's response headers.
    const d = decision(inboundAnswer, inbound, inboundAnswer ? undefined : (inbound.delivered as Delivered), inbound.responseHeaders);
    return { ...d, route: out.routeLabel, backend: !inboundAnswer && out.backend ? `${out.backend.service.id}/${out.backend.subset ?? ''}` : null };
  }

  context(plane: Plane, p: PlanePieces<Delivered> & { c?: PipelineContext }, request: RequestView, self?: string): PipelineContext {
    const c = createContext({ plane, runtime: this.runtime, request, pieces: p, upstreamHeaders: new Headers(request.headers as Headers), traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', startedAt: 1_000_000, ...(self ? { service: self } : {}) });
    p.c = c;
    return c;
  }
}

describe('the same decision at the edge and in the mesh', () => {
  let planes: Planes;
  beforeAll(async () => {
    planes = new Planes(await runtimeFromYaml(await policy()));
  });

  const cases: { name: string; path: string; headers?: Record<string, string>; expect: Partial<Decision> }[] = [
    { name: 'rewrite and request header operations', path: '/legacy/items/1?x=1', headers: { 'x-drop-me': 'secret' }, expect: { status: 200, code: null, route: 'default/api#legacy', backend: 'default/api/stable', upstreamPath: '/v2/items/1', upstream: { 'x-from-route': 'yes', 'x-drop-me': null, 'x-track': null, 'x-api-key': null } } },
    { name: 'header routing to the canary', path: '/items/2', headers: { 'x-beta': 'yes' }, expect: { status: 200, route: 'default/api#canary', backend: 'default/api/canary', upstream: { 'x-from-route': null, 'x-drop-me': null, 'x-track': 'canary', 'x-api-key': null } } },
    { name: 'identical matches in one route: the earlier rule wins', path: '/items/3', headers: { 'x-beta': 'yes' }, expect: { status: 200, route: 'default/api#canary', backend: 'default/api/canary' } },
    { name: 'identical matches across routes: the route first by namespace/name wins', path: '/legacy/x', expect: { status: 200, route: 'default/api#legacy', backend: 'default/api/stable', upstreamPath: '/v2/x' } },
    { name: 'relative weights and the picked backend’s own header operations, after the rule’s', path: '/weighted/1', expect: { status: 200, route: 'default/api#weighted', backend: 'default/api/canary', upstream: { 'x-from-route': 'yes', 'x-drop-me': null, 'x-track': 'canary-backend', 'x-api-key': null } } },
    { name: 'every backend of weight 0: no_backend', path: '/drained', expect: { code: 'no_backend', route: 'default/api#drained', backend: null } },
    { name: 'access policy deny', path: '/admin/users', expect: { status: 403, code: 'access_denied', route: 'default/api#admin' } },
    { name: 'access policy deny, case variant of the path (deny paths ignore case)', path: '/ADMIN/users', expect: { status: 403, code: 'access_denied', route: 'default/api#default' } },
    { name: 'bad API key', path: '/secure', headers: { 'x-api-key': 'wrong' }, expect: { status: 401, code: 'invalid_api_key', route: 'default/api#secure' } },
    { name: 'good API key: the key never reaches the service', path: '/secure', headers: { 'x-api-key': API_KEY }, expect: { status: 200, code: null, upstream: { 'x-from-route': null, 'x-drop-me': null, 'x-track': null, 'x-api-key': null } } },
    { name: 'fault abort', path: '/broken', expect: { status: 418, code: 'fault_injected', route: 'default/api#broken' } },
    { name: 'redirect', path: '/old/page', expect: { status: 301, code: null, route: 'default/api#moved' } },
    { name: 'encoded NUL in the path', path: '/items/%00', expect: { status: 400, code: 'invalid_path', route: null } },
    { name: 'a gRPC call: routed by service, its deadline sent on', path: '/helloworld.Greeter/SayHello', headers: GRPC_WEB, expect: { status: 200, route: 'default/api#greeter', upstream: { 'x-from-route': null, 'x-drop-me': null, 'x-track': null, 'x-api-key': null, 'grpc-timeout': '15000m' } } },
    { name: 'a gRPC call refused by access policy: PERMISSION_DENIED', path: '/helloworld.Greeter/Delete', headers: GRPC_WEB, expect: { status: 200, grpcStatus: 7, code: 'access_denied', route: 'default/api#greeter' } },
    { name: 'a gRPC call with a bad API key: UNAUTHENTICATED', path: '/helloworld.Greeter/SayHello', headers: { ...GRPC_WEB, 'x-api-key': 'wrong' }, expect: { status: 200, grpcStatus: 16, code: 'invalid_api_key' } },
    { name: 'WebSocket handshake: upgraded by the same rule', path: '/items/live', headers: { upgrade: 'websocket' }, expect: { status: 101, code: null, route: 'default/api#default', backend: 'default/api/stable' } },
    { name: 'WebSocket handshake with a bad API key: 401, no upgrade', path: '/secure/live', headers: { upgrade: 'websocket', 'x-api-key': 'wrong' }, expect: { status: 401, code: 'invalid_api_key', backend: null } },
    { name: 'WebSocket handshake denied by access policy: 403, no upgrade', path: '/admin/live', headers: { upgrade: 'websocket' }, expect: { status: 403, code: 'access_denied', backend: null } },
  ];

  for (const t of cases)
    it(t.name, async () => {
      const edge = await planes.edge(t.path, t.headers ?? {});
      const mesh = await planes.mesh(t.path, t.headers ?? {});
      expect(edge).toMatchObject(t.expect);
      expect({ ...mesh, client: { ...mesh.client, location: null } }).toEqual({ ...edge, client: { ...edge.client, location: null } });
    });

  it('redirects to the same path on both planes (the host is each plane’s own)', async () => {
    expect(new URL((await planes.edge('/old/page?a=1', {})).client.location as string).pathname + '?a=1').toBe('/new?a=1');
    expect(new URL((await planes.mesh('/old/page?a=1', {})).client.location as string).pathname + '?a=1').toBe('/new?a=1');
  });

  it('refuses a rate-limited gRPC call the same way: RESOURCE_EXHAUSTED with retry pushback', async () => {
    const headers = { ...GRPC_WEB, 'x-tenant': 'grpc-tenant' };
    const edge = [await planes.edge('/limited', headers), await planes.edge('/limited', headers), await planes.edge('/limited', headers)];
    const mesh = [await planes.mesh('/limited', headers), await planes.mesh('/limited', headers), await planes.mesh('/limited', headers)];
    expect(edge.map((d) => [d.status, d.grpcStatus])).toEqual([
      [200, null],
      [200, null],
      [200, 8],
    ]);
    expect(mesh).toEqual(edge);
    expect(edge[2]?.client['grpc-retry-pushback-ms']).toBe(String(Number(edge[2]?.client['retry-after']) * 1000));
  });

  it('counts a rate limit the same way: two allowed, then 429 with Retry-After', async () => {
    const headers = { 'x-tenant': 'acme' };
    const edge = [await planes.edge('/limited', headers), await planes.edge('/limited', headers), await planes.edge('/limited', headers)];
    const mesh = [await planes.mesh('/limited', headers), await planes.mesh('/limited', headers), await planes.mesh('/limited', headers)];
    expect(edge.map((d) => d.status)).toEqual([200, 200, 429]);
    expect(mesh).toEqual(edge);
    expect(edge[2]?.client).toMatchObject({ 'ratelimit-limit': '2', 'ratelimit-remaining': '0' });
    expect(Number(edge[2]?.client['retry-after'])).toBeGreaterThan(0);
  });
});
