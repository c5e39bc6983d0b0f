// Authentication, access policy and rate limits at the edge, end to end: real tokens signed
// with jose, real API-key hashes, the real gateway and control Workers, real upstreams.
import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import type { CryptoKey, JWK } from 'jose';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { verifyEdgeToken } from '../../core/identity/edge-token.ts';
import { verifyJwtSvid } from '../../core/identity/jwt-svid.ts';
import { sha256Hex } from '../../core/snapshot/canonical-json.ts';
import { DurableObjectCounterStore } from '../../gateway/rate-limit/global-rate-limiter.ts';
import { counterKey, limitBucket } from '../../core/ratelimit/rate-limit.ts';
import { apiService, echo, gw, PORTS, pushPolicy, route, testEnv } from './gateway-support.ts';

const ISSUER = 'https://auth.test.example';
let key: CryptoKey;
let jwk: JWK;
const PARTNER_KEY = 'partner-secret-key-1';

function token(claims: Record<string, unknown> = {}, opts: { exp?: string; aud?: string; kid?: string; signWith?: CryptoKey } = {}): Promise<string> {
  return new SignJWT({ plan: 'pro', ...claims })
    .setProtectedHeader({ alg: 'ES256', kid: opts.kid ?? 'k1' })
    .setIssuer(ISSUER)
    .setSubject('alice')
    .setAudience(opts.aud ?? 'api.example.com')
    .setIssuedAt()
    .setExpirationTime(opts.exp ?? '5m')
    .sign(opts.signWith ?? key);
}

const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

beforeAll(async () => {
  const pair = await generateKeyPair('ES256');
  key = pair.privateKey;
  jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256' };
  const jwks = JSON.stringify({ keys: [jwk] });
  await pushPolicy(
    apiService(),
    route(
      'api',
      'api.example.com',
      [
        '    - name: admin',
        '      matches: [{ path: { prefix: /admin } }]',
        '      backends: [{ service: api, subset: stable }]',
        '    - name: all',
        '      backends: [{ service: api, subset: stable }]',
      ].join('\n'),
    ),
    route('limited', 'limited.example.com', ['    - backends: [{ service: api, subset: stable }]', '      cors: { allowOrigins: ["https://app.example.com"], exposeHeaders: [RateLimit-Remaining, Retry-After] }'].join('\n')),
    route('keyed', 'keyed.example.com', '    - backends: [{ service: api, subset: stable }]'),
    [
      'apiVersion: weft/v1',
      'kind: Authentication',
      'metadata: { name: keyed }',
      'spec:',
      '  targetRefs: [{ kind: Route, name: keyed }]',
      '  jwt:',
      '    - name: test-idp',
      `      issuer: ${ISSUER}`,
      '      algorithms: [ES256]',
      `      jwks: ${jwks}`,
      '  apiKeys:',
      `    keys: [{ name: partner, sha256: ${await sha256Hex(PARTNER_KEY)} }]`,
      '---',
      'apiVersion: weft/v1',
      'kind: RateLimit',
      'metadata: { name: keyed }',
      'spec:',
      '  targetRefs: [{ kind: Route, name: keyed }]',
      '  limits: [{ name: per-key, key: api-key, requests: 2, period: 1m }]',
    ].join('\n'),
    [
      'apiVersion: weft/v1',
      'kind: Authentication',
      'metadata: { name: api }',
      'spec:',
      '  targetRefs: [{ kind: Route, name: api }]',
      '  jwt:',
      '    - name: test-idp',
      `      issuer: ${ISSUER}`,
      '      audiences: [api.example.com]',
      '      algorithms: [ES256]',
      '      clockSkew: 5s',
      `      jwks: ${jwks}`,
      '      forwardClaims: [{ claim: sub, header: x-user-id }, { claim: plan, header: x-user-plan }]',
      '  apiKeys:',
      `    keys: [{ name: partner, sha256: ${await sha256Hex(PARTNER_KEY)}, claims: { plan: partner } }]`,
    ].join('\n'),
    [
      'apiVersion: weft/v1',
      'kind: AccessPolicy',
      'metadata: { name: admin-deny }',
      'spec:',
      '  targetRefs: [{ kind: Route, name: api }]',
      '  action: deny',
      '  rules:',
      '    - to: { paths: ["/admin/*"] }',
      '      when: [{ claim: plan, values: [partner] }]',
      '---',
      'apiVersion: weft/v1',
      'kind: AccessPolicy',
      'metadata: { name: admin-allow }',
      'spec:',
      '  targetRefs: [{ kind: Route, name: api }]',
      '  action: allow',
      '  rules:',
      `    - from: { requestPrincipals: ["${ISSUER}/*", "apikey/*"] }`,
    ].join('\n'),
    [
      'apiVersion: weft/v1',
      'kind: RateLimit',
      'metadata: { name: limited }',
      'spec:',
      '  targetRefs: [{ kind: Route, name: limited }]',
      '  limits:',
      '    - { name: per-ip, key: client-ip, requests: 3, period: 1m }',
      '    - { name: per-tenant-global, key: { header: x-tenant }, requests: 2, period: 1m, scope: global }',
    ].join('\n'),
  );
});

describe('JWT authentication at the edge', () => {
  it('accepts a valid token and forwards chosen claims (never the token, never client copies)', async () => {
    const e = await echo(await gw('https://api.example.com/orders', { headers: { ...bearer(await token()), 'x-user-id': 'mallory' } }));
    expect(e.headers['x-user-id']).toBe('alice');
    expect(e.headers['x-user-plan']).toBe('pro');
    expect(e.headers.authorization).toBeUndefined();
  });

  it('writes one JSON access line per request: route, status, upstream, the user, and the trace id sent upstream (never the token)', async () => {
    const t = await token();
    // Observed, not replaced: the line still goes to the Worker's log as `wrangler tail` shows it.
    const log = vi.spyOn(console, 'log');
    try {
      const ok = await gw('https://api.example.com/orders?page=2', { headers: bearer(t) });
      const denied = await gw('https://api.example.com/orders');
      const e = await echo(ok);
      expect(denied.status).toBe(401);
      const lines = log.mock.calls.map((args) => JSON.parse(String(args[0])) as Record<string, unknown>).filter((l) => l.component === 'gateway.access');
      expect(lines).toHaveLength(2);
      const [first, second] = lines as [Record<string, unknown>, Record<string, unknown>];
      expect(first).toMatchObject({ method: 'GET', host: 'api.example.com', path: '/orders', route: 'default/api#all', status: 200, upstream: `127.0.0.1:${PORTS.stable}`, principal: `${ISSUER}/alice` });
      expect(first.traceId).toBe(String(e.headers.traceparent).split('-')[1]);
      expect(first.latencyMs).toBeGreaterThanOrEqual(0);
      expect(second).toMatchObject({ status: 401, principal: null, upstream: null });
      expect(JSON.stringify(lines)).not.toContain(t);
    } finally {
      log.mockRestore();
    }
  });

  it('refuses missing, expired, wrong-audience, unknown-kid, forged, HS256 and alg:none tokens with 401 and WWW-Authenticate', async () => {
    const other = (await generateKeyPair('ES256')).privateKey;
    const hs = await new SignJWT({}).setProtectedHeader({ alg: 'HS256', kid: 'k1' }).setIssuer(ISSUER).setSubject('alice').setAudience('api.example.com').setExpirationTime('5m').sign(new TextEncoder().encode('x'.repeat(32)));
    const none = new UnsecuredJWT({}).setIssuer(ISSUER).setSubject('alice').setAudience('api.example.com').setExpirationTime('5m').encode();
    const cases: [string, Record<string, string>][] = [
      ['missing', {}],
      ['expired', bearer(await token({}, { exp: '-1m' }))],
      ['wrong audience', bearer(await token({}, { aud: 'other.example.com' }))],
      ['unknown kid', bearer(await token({}, { kid: 'k9' }))],
      ['forged', bearer(await token({}, { signWith: other }))],
      ['HS256', bearer(hs)],
      ['alg none', bearer(none)],
    ];
    for (const [what, headers] of cases) {
      const res = await gw('https://api.example.com/orders', { headers });
      expect(res.status, what).toBe(401);
      expect(res.headers.get('www-authenticate'), what).toMatch(/^Bearer realm="weft"/);
      expect(((await res.json()) as { error: { code: string } }).error.code, what).toBeTypeOf('string');
    }
  });

  it('a client cannot make the gateway drop verified claim headers (Connection: x-user-id)', async () => {
    const e = await echo(await gw('https://api.example.com/orders', { headers: { ...bearer(await token()), connection: 'x-user-id, x-user-plan' } }));
    expect(e.headers['x-user-id']).toBe('alice');
    expect(e.headers['x-user-plan']).toBe('pro');
  });

  it('accepts a partner API key (by hash) and refuses a wrong one', async () => {
    const ok = await echo(await gw('https://api.example.com/orders', { headers: { 'x-api-key': PARTNER_KEY } }));
    expect(ok.headers['x-api-key']).toBeUndefined();
    expect((await gw('https://api.example.com/orders', { headers: { 'x-api-key': 'guess' } })).status).toBe(401);
  });
});

describe('edge token exchange', () => {
  it('vouches for the authenticated user to the backend with a token sidecars can verify offline', async () => {
    const e = await echo(await gw('https://api.example.com/orders', { headers: { ...bearer(await token()), 'x-weft-edge-token': 'forged' } }));
    const edgeToken = e.headers['x-weft-edge-token'] ?? '';
    expect(edgeToken).not.toBe('forged');
    const bundle = (await (await testEnv.CONTROL_HTTP.fetch('https://control/v1/bundle')).json()) as { edge: { issuer: string; jwks: { keys: [] } } };
    expect(bundle.edge.issuer).toBe('spiffe://weft.local/ns/edge/sa/gateway');
    const verified = await verifyEdgeToken(edgeToken, { edgeKeys: bundle.edge.jwks, gatewayId: bundle.edge.issuer, audience: 'spiffe://weft.local/ns/default/sa/api' });
    expect(verified).toMatchObject({ ok: true, user: { requestPrincipal: `${ISSUER}/alice`, claims: { sub: 'alice', plan: 'pro' } } });
    // Audience-bound: no good for any other service.
    expect(await verifyEdgeToken(edgeToken, { edgeKeys: bundle.edge.jwks, gatewayId: bundle.edge.issuer, audience: 'spiffe://weft.local/ns/default/sa/ratings' })).toMatchObject({ ok: false, code: 'wrong_audience' });
  });

  it('names API-key partners too', async () => {
    const partner = await echo(await gw('https://api.example.com/orders', { headers: { 'x-api-key': PARTNER_KEY } }));
    const bundle = (await (await testEnv.CONTROL_HTTP.fetch('https://control/v1/bundle')).json()) as { edge: { issuer: string; jwks: { keys: [] } } };
    expect(await verifyEdgeToken(partner.headers['x-weft-edge-token'] ?? '', { edgeKeys: bundle.edge.jwks, gatewayId: bundle.edge.issuer, audience: 'spiffe://weft.local/ns/default/sa/api' })).toMatchObject({
      ok: true,
      user: { requestPrincipal: 'apikey/partner' },
    });
  });
});

describe('the gateway proves itself to the mesh', () => {
  it('sends its own JWT-SVID for the backend service, also for an anonymous user; a client cannot forge one', async () => {
    const e = await echo(await gw('https://limited.example.com/anyone', { headers: { 'x-weft-svid': 'forged', 'cf-connecting-ip': '198.51.100.77' } }));
    const svid = e.headers['x-weft-svid'] ?? '';
    expect(svid).not.toBe('forged');
    const bundle = (await (await testEnv.CONTROL_HTTP.fetch('https://control/v1/bundle')).json()) as { jwks: { keys: [] } };
    expect(await verifyJwtSvid(svid, { trustBundle: bundle.jwks, audience: 'spiffe://weft.local/ns/default/sa/api', trustDomain: 'weft.local' })).toMatchObject({
      ok: true,
      spiffeId: 'spiffe://weft.local/ns/edge/sa/gateway',
    });
    expect(await verifyJwtSvid(svid, { trustBundle: bundle.jwks, audience: 'spiffe://weft.local/ns/default/sa/ratings' })).toMatchObject({ ok: false, code: 'wrong_audience' });
  });
});

describe('access policy at the edge', () => {
  it('a deny rule beats the allow rule: partners may not reach /admin, users may', async () => {
    const partner = await gw('https://api.example.com/admin/users', { headers: { 'x-api-key': PARTNER_KEY } });
    expect(partner.status).toBe(403);
    expect(((await partner.json()) as { error: { message: string } }).error.message).toContain('AccessPolicy default/admin-deny');
    expect((await gw('https://api.example.com/admin/users', { headers: bearer(await token()) })).status).toBe(200);
    expect((await gw('https://api.example.com/orders', { headers: { 'x-api-key': PARTNER_KEY } })).status).toBe(200);
  });
});

describe('rate limits at the edge', () => {
  it('answers RateLimit headers, then 429 with Retry-After once the bucket is empty (with the route\'s CORS headers, once)', async () => {
    const ip = { 'cf-connecting-ip': '203.0.113.7', origin: 'https://app.example.com' };
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 4; i++) {
      last = await gw('https://limited.example.com/x', { headers: ip });
      statuses.push(last.status);
      if (i === 0) {
        expect(last.headers.get('ratelimit-limit')).toBe('3');
        expect(last.headers.get('ratelimit-remaining')).toBe('2');
        // One token used of a 3-per-minute bucket: full again in 20 s.
        expect(Number(last.headers.get('ratelimit-reset'))).toBeGreaterThan(0);
        expect(Number(last.headers.get('ratelimit-reset'))).toBeLessThanOrEqual(20);
      }
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect(Number(last?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(last?.headers.get('ratelimit-remaining')).toBe('0');
    expect(Number(last?.headers.get('ratelimit-reset'))).toBeGreaterThanOrEqual(Number(last?.headers.get('retry-after')));
    // A browser app can read the 429 and its headers.
    expect(last?.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(last?.headers.get('access-control-expose-headers')).toBe('ratelimit-remaining, retry-after');
    expect(last?.headers.get('vary')).toBe('Origin');
    expect(((await last?.json()) as { error: { code: string } }).error.code).toBe('rate_limited');
    // Another client is counted separately.
    expect((await gw('https://limited.example.com/x', { headers: { 'cf-connecting-ip': '203.0.113.8' } })).status).toBe(200);
  });

  it('a per-API-key limit still counts when a valid JWT comes along with the key', async () => {
    const headers = { 'x-api-key': PARTNER_KEY, ...bearer(await token({}, { aud: 'keyed.example.com' })) };
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await gw('https://keyed.example.com/x', { headers })).status);
    expect(statuses).toEqual([200, 200, 429]);
  });

  it('a global limit is counted in one Durable Object per key, whichever gateway isolate serves', async () => {
    const tenant = (ip: string) => ({ 'cf-connecting-ip': ip, 'x-tenant': 'acme' });
    // Different client IPs (so the local per-IP limit never bites): only the shared counter can deny.
    const statuses = [];
    for (const ip of ['198.51.100.1', '198.51.100.2', '198.51.100.3']) statuses.push((await gw('https://limited.example.com/x', { headers: tenant(ip) })).status);
    expect(statuses).toEqual([200, 200, 429]);
    // A second gateway instance (its own store object, as another isolate or colo would have)
    // sees the same bucket: empty.
    const secondInstance = new DurableObjectCounterStore(testEnv.RATE_LIMITS);
    const limit = { name: 'per-tenant-global', key: { header: 'x-tenant' }, requests: 2, periodMs: 60_000, burst: 2, scope: 'global' as const };
    const taken = await secondInstance.take(counterKey('default/limited', limit, 'acme'), limitBucket(limit));
    expect(taken).toMatchObject({ allowed: false, remaining: 0 });
  });
});
