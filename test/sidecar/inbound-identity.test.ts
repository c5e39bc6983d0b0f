// Inbound identity and policy at a real sidecar in front of a real app: JWT-SVIDs (valid,
// missing in strict and permissive mode, wrong audience, expired, forged), edge tokens (direct
// and one-hop delegated), spoofed x-weft-* headers, access policy with SPIFFE wildcards, and
// local rate limits per caller.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSigningKeyPair, importSigningKey } from '../../core/keys/signing-key.ts';
import { startInbound } from '../../sidecar/proxy/inbound.ts';
import type { ProxyListener } from '../../sidecar/types.ts';
import { doc } from '../support/compile-yaml.ts';
import { createMeshKeys, DETAILS, fixedSidecarView, GATEWAY_ID, PRODUCTPAGE, RATINGS, REVIEWS, meshYaml, mintEdge, mintSvid, RecordingObserver, seenHeaders, send, spiffeIdOf } from '../support/sidecar-fixture.ts';
import type { MeshKeys, Reply } from '../support/sidecar-fixture.ts';
import { startUpstream } from '../support/upstream-server.ts';
import type { UpstreamServer } from '../support/upstream-server.ts';


let keys: MeshKeys;
let app: UpstreamServer;
let reviews: ProxyListener; // strict, access policy
let ratings: ProxyListener; // strict, rate limit
let details: ProxyListener; // permissive
const observer = new RecordingObserver();

function policy(mode: 'strict' | 'permissive'): string {
  return [
    meshYaml(mode),
    ...['productpage', 'reviews', 'ratings', 'details'].map((s) => doc('Service', s, 'port: 9080')),
    doc(
      'AccessPolicy',
      'reviews-callers',
      `targetRefs: [{ kind: Service, name: reviews }]
action: allow
rules:
  - from: { principals: ["spiffe://weft.local/ns/default/sa/product*", "${GATEWAY_ID}"] }`,
    ),
    doc(
      'AccessPolicy',
      'reviews-admin',
      `targetRefs: [{ kind: Service, name: reviews }]
action: deny
rules:
  - to: { paths: ["/admin/*"] }`,
    ),
    doc('RateLimit', 'ratings', `targetRefs: [{ kind: Service, name: ratings }]\nlimits:\n  - { name: per-caller, key: principal, requests: 2, period: 1m, burst: 2 }`),
    // A limit on one mesh Route of details only: requests its rule does not match are not counted.
    doc('Route', 'details-limited', `mesh: { services: [details] }\nrules:\n  - name: limited\n    matches: [{ path: { prefix: /limited } }]\n    backends: [{ service: details }]`),
    doc('RateLimit', 'details-limited', `targetRefs: [{ kind: Route, name: details-limited }]\nlimits:\n  - { name: per-tenant, key: { header: x-tenant }, requests: 1, period: 1m, burst: 1 }`),
  ].join('---\n');
}

const code = (r: Reply) => (r.json?.error as { code?: string } | undefined)?.code;

beforeAll(async () => {
  keys = await createMeshKeys();
  app = await startUpstream('app');
  const appAt = { host: '127.0.0.1', port: app.port };
  const start = async (service: string, mode: 'strict' | 'permissive') =>
    startInbound({ view: await fixedSidecarView({ keys, policy: policy(mode), service }), observer, port: 0, app: appAt });
  [reviews, ratings, details] = await Promise.all([start('reviews', 'strict'), start('ratings', 'strict'), start('details', 'permissive')]);
});

afterAll(async () => {
  await Promise.all([reviews, ratings, details].map((l) => l.close(100)));
  await app.close();
});

describe('caller identity (JWT-SVID)', () => {
  it('accepts a valid SVID and tells the app who called, without the SVID itself', async () => {
    const r = await send(reviews.port, { path: '/r', headers: { 'x-weft-svid': await mintSvid(keys, PRODUCTPAGE, REVIEWS) } });
    expect(r.status).toBe(200);
    const h = seenHeaders(r);
    expect(h['x-weft-peer-id']).toBe(PRODUCTPAGE);
    expect(h['x-weft-svid']).toBeUndefined();
    expect(h['x-weft-principal']).toBeUndefined();
  });

  it('refuses a request without an SVID in strict mode (401 unauthenticated)', async () => {
    const r = await send(reviews.port, { path: '/r' });
    expect(r.status).toBe(401);
    expect(code(r)).toBe('unauthenticated');
    expect((r.json?.error as { message: string }).message).toMatch(/strict/);
  });

  it('lets an anonymous caller through in permissive mode, with no peer', async () => {
    const r = await send(details.port, { path: '/d' });
    expect(r.status).toBe(200);
    expect(seenHeaders(r)['x-weft-peer-id']).toBeUndefined();
  });

  it.each([
    ['for another audience', (_aud: string) => mintSvid(keys, PRODUCTPAGE, RATINGS), /wrong_audience/],
    ['expired', (aud: string) => mintSvid(keys, PRODUCTPAGE, aud, { ttlMs: 1000, now: Date.now() - 60_000 }), /expired/],
    ['forged (a key outside the bundle)', async (aud: string) => mintSvid(keys, PRODUCTPAGE, aud, { key: await importSigningKey((await generateSigningKeyPair()).privateJwk) }), /unknown_key|bad_signature/],
    ['garbage', async (_aud: string) => 'not-a-jwt', /malformed/],
  ])('refuses an SVID that is %s, in strict and in permissive mode', async (_what, mint, reason) => {
    for (const [port, audience] of [[reviews.port, REVIEWS], [details.port, DETAILS]] as const) {
      const r = await send(port, { path: '/r', headers: { 'x-weft-svid': await mint(audience) } });
      expect(r.status).toBe(401);
      expect(code(r)).toBe('unauthenticated');
      expect((r.json?.error as { message: string }).message).toMatch(reason);
    }
  });

  it('never lets spoofed x-weft-* identity headers reach the app', async () => {
    const spoofed = { 'x-weft-peer-id': 'spiffe://weft.local/ns/default/sa/admin', 'x-weft-principal': 'https://idp/root', 'x-weft-claims': '{"role":"admin"}' };
    const anonymous = await send(details.port, { path: '/s', headers: spoofed });
    expect(anonymous.status).toBe(200);
    for (const name of Object.keys(spoofed)) expect(seenHeaders(anonymous)[name]).toBeUndefined();
    const withSvid = await send(reviews.port, { path: '/s', headers: { ...spoofed, 'x-weft-svid': await mintSvid(keys, PRODUCTPAGE, REVIEWS) } });
    expect(seenHeaders(withSvid)['x-weft-peer-id']).toBe(PRODUCTPAGE);
    expect(seenHeaders(withSvid)['x-weft-principal']).toBeUndefined();
    expect(seenHeaders(withSvid)['x-weft-claims']).toBeUndefined();
  });
});

describe('end user (edge token)', () => {
  const user = { requestPrincipal: 'https://idp.example.com/jason', claims: { email: 'jason@example.com', groups: ['reviewers'] } };

  it('accepts an edge token addressed to this workload: the gateway is the peer, the user reaches the app', async () => {
    const r = await send(reviews.port, { path: '/e', headers: { 'x-weft-edge-token': await mintEdge(keys, REVIEWS, user) } });
    expect(r.status).toBe(200);
    const h = seenHeaders(r);
    expect(h['x-weft-peer-id']).toBe(GATEWAY_ID);
    expect(h['x-weft-principal']).toBe(user.requestPrincipal);
    expect(JSON.parse(h['x-weft-claims'] as string)).toEqual(user.claims);
    expect(h['x-weft-edge-token']).toBeTruthy(); // the app propagates it on its own calls
  });

  it('accepts an edge token addressed to the verified caller (one-hop delegation)', async () => {
    const r = await send(reviews.port, {
      path: '/e',
      headers: { 'x-weft-svid': await mintSvid(keys, PRODUCTPAGE, REVIEWS), 'x-weft-edge-token': await mintEdge(keys, PRODUCTPAGE, user) },
    });
    expect(r.status).toBe(200);
    expect(seenHeaders(r)['x-weft-peer-id']).toBe(PRODUCTPAGE);
    expect(seenHeaders(r)['x-weft-principal']).toBe(user.requestPrincipal);
  });

  it('refuses an edge token addressed to a third service', async () => {
    const r = await send(reviews.port, {
      path: '/e',
      headers: { 'x-weft-svid': await mintSvid(keys, PRODUCTPAGE, REVIEWS), 'x-weft-edge-token': await mintEdge(keys, DETAILS, user) },
    });
    expect(r.status).toBe(401);
    expect((r.json?.error as { message: string }).message).toMatch(/edge token/);
  });

  it('refuses an expired edge token even in permissive mode', async () => {
    const r = await send(details.port, { path: '/e', headers: { 'x-weft-edge-token': await mintEdge(keys, DETAILS, user, { ttlMs: 1000, now: Date.now() - 120_000 }) } });
    expect(r.status).toBe(401);
  });
});

describe('access policy', () => {
  it('allows a caller matching a SPIFFE wildcard', async () => {
    const r = await send(reviews.port, { path: '/ok', headers: { 'x-weft-svid': await mintSvid(keys, spiffeIdOf('default', 'productpage-v2'), REVIEWS) } });
    expect(r.status).toBe(200);
  });

  it('denies a caller the allow policy does not list (403 access_denied)', async () => {
    const r = await send(reviews.port, { path: '/ok', headers: { 'x-weft-svid': await mintSvid(keys, RATINGS, REVIEWS) } });
    expect(r.status).toBe(403);
    expect(code(r)).toBe('access_denied');
  });

  it('denies a path a deny policy names, even for an allowed caller', async () => {
    const r = await send(reviews.port, { path: '/admin/users', headers: { 'x-weft-svid': await mintSvid(keys, PRODUCTPAGE, REVIEWS) } });
    expect(r.status).toBe(403);
    expect((r.json?.error as { message: string }).message).toMatch(/reviews-admin/);
  });
});

describe('rate limits', () => {
  it('applies a limit attached to a mesh Route only to the requests that Route matches', async () => {
    const limited = () => send(details.port, { path: '/limited/1', headers: { 'x-tenant': 'acme' } });
    const first = await limited();
    expect(first.status).toBe(200);
    expect(first.headers['ratelimit-limit']).toBe('1');
    expect((await limited()).status).toBe(429);
    expect(observer.rateLimits).toContainEqual({ direction: 'inbound', policy: 'default/details-limited' });
    // Another tenant has its own count; a path outside the Route is not limited at all.
    expect((await send(details.port, { path: '/limited/1', headers: { 'x-tenant': 'globex' } })).status).toBe(200);
    for (let i = 0; i < 3; i++) {
      const other = await send(details.port, { path: '/other', headers: { 'x-tenant': 'acme' } });
      expect(other.status).toBe(200);
      expect(other.headers['ratelimit-limit']).toBeUndefined();
    }
  });

  it('limits each caller separately: 429 with Retry-After and RateLimit-* headers', async () => {
    const productpage = await mintSvid(keys, PRODUCTPAGE, RATINGS);
    const first = await send(ratings.port, { path: '/rl', headers: { 'x-weft-svid': productpage } });
    expect(first.status).toBe(200);
    expect(first.headers['ratelimit-limit']).toBe('2');
    expect(first.headers['ratelimit-remaining']).toBe('1');
    expect((await send(ratings.port, { path: '/rl', headers: { 'x-weft-svid': productpage } })).status).toBe(200);
    const third = await send(ratings.port, { path: '/rl', headers: { 'x-weft-svid': productpage } });
    expect(third.status).toBe(429);
    expect(code(third)).toBe('rate_limited');
    expect(Number(third.headers['retry-after'])).toBeGreaterThan(0);
    expect(third.headers['ratelimit-remaining']).toBe('0');
    expect(third.headers['ratelimit-reset']).toBeDefined();
    expect(observer.rateLimits).toContainEqual({ direction: 'inbound', policy: 'default/ratings' });
    const other = await send(ratings.port, { path: '/rl', headers: { 'x-weft-svid': await mintSvid(keys, REVIEWS, RATINGS) } });
    expect(other.status).toBe(200);
  });
});
