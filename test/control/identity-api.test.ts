// The identity authority in workerd: join token → SVIDs (JWT and X.509 from a real CSR) →
// renewal with the SVID → replay refused → other SPIFFE IDs refused; TTLs from the Mesh;
// signing-key rotation keeps old tokens verifiable until their key leaves the bundle.
import { env, reset, SELF } from 'cloudflare:test';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import type { JWK } from 'jose';
import { beforeEach, describe, expect, it } from 'vitest';
import app from '../../control/index.ts';
import { createWorkloadCsr } from '../../core/identity/csr.ts';
import { createCertificateAuthority } from '../../core/identity/x509-ca.ts';
import { verifyJwtSvid } from '../../core/identity/jwt-svid.ts';
import { verifyX509Svid } from '../../core/identity/x509-svid-verify.ts';
import { generateSigningKeyPair } from '../../core/keys/signing-key.ts';
import { auth, BASE, CONTROL_ID, joinAs, joinToken, policyFiles, post, pushOk, READER, requestSvid } from './support.ts';
import type { SvidBody } from './support.ts';

const REVIEWS = 'spiffe://weft.local/ns/default/sa/reviews';
const RATINGS = 'spiffe://weft.local/ns/default/sa/ratings';

beforeEach(async () => {
  await reset();
});

describe('join tokens and SVIDs', () => {
  it('a join token gets a JWT-SVID for the asked audience, a control token, and an X.509-SVID from a CSR', async () => {
    const csr = await createWorkloadCsr({ spiffeId: REVIEWS });
    const svid = await joinAs('reviews', { audiences: [RATINGS], csr: csr.csrPem });
    expect(svid.spiffeId).toBe(REVIEWS);

    const bundle = { keys: svid.bundle.jwks.keys };
    const jwt = await verifyJwtSvid(svid.jwtSvids[0]?.token ?? '', { trustBundle: bundle, audience: RATINGS, trustDomain: 'weft.local' });
    expect(jwt).toMatchObject({ ok: true, spiffeId: REVIEWS });
    const control = await verifyJwtSvid(svid.controlToken.token, { trustBundle: bundle, audience: CONTROL_ID });
    expect(control).toMatchObject({ ok: true, spiffeId: REVIEWS });
    // Audience-bound: the token for ratings is no good for anyone else.
    expect(await verifyJwtSvid(svid.jwtSvids[0]?.token ?? '', { trustBundle: bundle, audience: CONTROL_ID })).toMatchObject({ ok: false, code: 'wrong_audience' });

    const x509 = await verifyX509Svid(svid.x509Svid?.certificatePem ?? '', svid.bundle.x509Authorities);
    expect(x509).toMatchObject({ ok: true, spiffeId: REVIEWS });
    expect(svid.bundle.trustDomain).toBe('weft.local');
  });

  it('a join token is single-use: a replay gets 401', async () => {
    const token = await joinToken('reviews');
    expect((await requestSvid(token)).status).toBe(200);
    const replay = await requestSvid(token);
    expect(replay.status).toBe(401);
    expect(await replay.json()).toEqual({ error: { code: 'invalid_join_token', message: 'the join token was already used (join tokens are single-use)' } });
  });

  it('an unknown or expired join token gets 401', async () => {
    expect((await requestSvid('wjt_notatoken')).status).toBe(401);
    const token = await joinToken('reviews', { ttl: '1s' });
    await new Promise((r) => setTimeout(r, 1100));
    const res = await requestSvid(token);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain('expired');
  });

  it('a CSR for another SPIFFE ID is refused with 403, and does not use up the join token', async () => {
    const token = await joinToken('reviews');
    const other = await createWorkloadCsr({ spiffeId: 'spiffe://weft.local/ns/default/sa/productpage' });
    const res = await requestSvid(token, { csr: other.csrPem });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('wrong_spiffe_id');
    const own = await createWorkloadCsr({ spiffeId: REVIEWS });
    expect((await requestSvid(token, { csr: own.csrPem })).status).toBe(200);
  });

  it('a join token offered for another service is refused and stays good for its own service', async () => {
    const token = await joinToken('reviews');
    const wrong = await requestSvid(token, { service: 'ratings' });
    expect(wrong.status).toBe(403);
    expect(await wrong.json()).toEqual({
      error: {
        code: 'wrong_service',
        message: `this join token is for default/reviews (${REVIEWS}), not default/ratings, the service this workload says it is; the token was not used: start default/ratings with a join token made for it`,
      },
    });
    // Same service in another namespace is another workload.
    expect((await requestSvid(token, { service: 'reviews', namespace: 'shop' })).status).toBe(403);
    const right = await requestSvid(token, { service: 'reviews' });
    expect(right.status).toBe(200);
    expect(((await right.json()) as SvidBody).spiffeId).toBe(REVIEWS);
    // Still single-use once redeemed by its own service.
    expect((await requestSvid(token, { service: 'reviews' })).status).toBe(401);
  });

  it('a namespaced join token redeems for namespace + service; a bad claim is 400 and uses nothing', async () => {
    const token = await joinToken('reviews', { namespace: 'shop' });
    expect((await requestSvid(token, { service: 'reviews' })).status).toBe(403); // namespace defaults to default
    expect((await requestSvid(token, { service: 'Reviews!' })).status).toBe(400);
    expect((await requestSvid(token, { namespace: 'shop' })).status).toBe(400);
    const res = await requestSvid(token, { service: 'reviews', namespace: 'shop' });
    expect(res.status).toBe(200);
    expect(((await res.json()) as SvidBody).spiffeId).toBe('spiffe://weft.local/ns/shop/sa/reviews');
  });

  it('renewal that says it is another service is refused', async () => {
    const first = await joinAs('reviews', { service: 'reviews' });
    const res = await requestSvid(first.controlToken.token, { service: 'ratings' });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ error: { code: 'wrong_service', message: `this SVID is for default/reviews (${REVIEWS}), not default/ratings, the service this workload says it is` } });
    expect((await requestSvid(first.controlToken.token, { service: 'reviews' })).status).toBe(200);
  });

  it('renews with a still-valid SVID; the renewed identity is the same, other IDs are refused', async () => {
    const first = await joinAs('reviews');
    const csr = await createWorkloadCsr({ spiffeId: REVIEWS });
    const renewed = await requestSvid(first.controlToken.token, { audiences: [RATINGS], csr: csr.csrPem });
    expect(renewed.status).toBe(200);
    const body = (await renewed.json()) as SvidBody;
    expect(body.spiffeId).toBe(REVIEWS);
    expect(body.x509Svid?.certificatePem).toContain('BEGIN CERTIFICATE');
    const stolen = await createWorkloadCsr({ spiffeId: RATINGS });
    expect((await requestSvid(first.controlToken.token, { csr: stolen.csrPem })).status).toBe(403);
  });

  it('refuses renewal with a JWT-SVID meant for another audience, or a garbage token', async () => {
    const svid = await joinAs('reviews', { audiences: [RATINGS] });
    const res = await requestSvid(svid.jwtSvids[0]?.token ?? '');
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain('wrong_audience');
    expect((await requestSvid('a.b.c')).status).toBe(401);
    expect((await post('/v1/identity/svid', {}, {})).status).toBe(401);
  });

  it('takes SVID lifetimes from the Mesh', async () => {
    const files = policyFiles();
    files['mesh.yaml'] = `${files['mesh.yaml']}  identity: { jwtSvidTtl: 2m, x509SvidTtl: 30m }\n`;
    await pushOk(files);
    const svid = await joinAs('reviews', { audiences: [RATINGS] });
    const claims = decodeJwt(svid.jwtSvids[0]?.token ?? '');
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(120);
  });

  it('join tokens need the admin role and valid input', async () => {
    expect((await post('/v1/identity/join-tokens', { service: 'reviews' }, auth(READER))).status).toBe(403);
    expect((await post('/v1/identity/join-tokens', { service: 'Reviews!' })).status).toBe(400);
    expect((await post('/v1/identity/join-tokens', { service: 'reviews', ttl: '48h' })).status).toBe(400);
    expect((await post('/v1/identity/join-tokens', { service: 'reviews', uses: 0 })).status).toBe(400);
    const res = await post('/v1/identity/join-tokens', { service: 'reviews', namespace: 'shop', uses: 3 });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ spiffeId: 'spiffe://weft.local/ns/shop/sa/reviews', uses: 3 });
  });

  it('refuses join tokens for Weft’s own identities', async () => {
    const control = await post('/v1/identity/join-tokens', { service: 'control', namespace: 'weft-system' });
    expect(control.status).toBe(403);
    expect(((await control.json()) as { error: { code: string } }).error.code).toBe('reserved_identity');
    expect((await post('/v1/identity/join-tokens', { service: 'gateway', namespace: 'edge' })).status).toBe(403);
  });

  it('authenticates before reading the body: no token is 401 even with a huge body', async () => {
    const res = await SELF.fetch(`${BASE}/v1/identity/svid`, { method: 'POST', body: 'x'.repeat(6 * 1024 * 1024) });
    expect(res.status).toBe(401);
    expect((await requestSvid('not-a-token')).status).toBe(401);
  });

  it('publishes the trust bundle: JWKS and CA certificates', async () => {
    const jwks = (await (await SELF.fetch(`${BASE}/.well-known/jwks.json`)).json()) as { keys: JWK[] };
    expect(jwks.keys.length).toBe(1);
    expect(jwks.keys[0]).not.toHaveProperty('d');
    const bundle = (await (await SELF.fetch(`${BASE}/v1/bundle`)).json()) as { trustDomain: string; controlId: string; x509Authorities: string[] };
    expect(bundle).toMatchObject({ trustDomain: 'weft.local', controlId: CONTROL_ID });
    expect(bundle.x509Authorities[0]).toContain('BEGIN CERTIFICATE');
  });
});

describe('signing-key rotation', () => {
  const base = env as unknown as Record<string, string>;
  const call = (vars: Record<string, string>, path: string, init: RequestInit) => app.fetch(new Request(`${BASE}${path}`, init), { ...base, ...vars }, { waitUntil() {}, passThroughOnException() {} } as unknown as ExecutionContext);

  it('a new key is published before it signs; old tokens verify until their key leaves the bundle', async () => {
    const old = JSON.parse(base.SIGNING_KEYS as string) as (JWK & { status: string })[];
    const fresh = await generateSigningKeyPair('ES256');
    const oldKid = old[0]?.kid;
    // Step 1: the new key is published as `next`; the old key still signs.
    const step1 = JSON.stringify([...old, { ...fresh.privateJwk, status: 'next' }]);
    const joined = (await (await call({ SIGNING_KEYS: step1 }, '/v1/identity/svid', { method: 'POST', headers: { authorization: `Bearer ${await joinToken('reviews')}` }, body: '{}' })).json()) as SvidBody;
    expect(decodeProtectedHeader(joined.controlToken.token).kid).toBe(oldKid);
    expect(joined.bundle.jwks.keys.length).toBe(2);
    // Step 2: the new key signs, the old one is retiring: the old token still renews.
    const step2 = JSON.stringify([{ ...old[0], status: 'retiring' }, { ...fresh.privateJwk, status: 'active' }]);
    const renewed = await call({ SIGNING_KEYS: step2 }, '/v1/identity/svid', { method: 'POST', headers: { authorization: `Bearer ${joined.controlToken.token}` }, body: '{}' });
    expect(renewed.status).toBe(200);
    expect(decodeProtectedHeader(((await renewed.json()) as SvidBody).controlToken.token).kid).toBe(fresh.publicJwk.kid);
    // Step 3: once the old key is removed, tokens it signed are refused.
    const step3 = JSON.stringify([{ ...fresh.privateJwk, status: 'active' }]);
    const refused = await call({ SIGNING_KEYS: step3 }, '/v1/identity/svid', { method: 'POST', headers: { authorization: `Bearer ${joined.controlToken.token}` }, body: '{}' });
    expect(refused.status).toBe(401);
  });

  it('CA rotation: the new CA joins the bundle before it signs; SVIDs of the old CA verify while it is in the bundle', async () => {
    const oldCa = (JSON.parse(base.CA as string) as { certificatePem: string; privateKeyPem: string }[])[0] as { certificatePem: string; privateKeyPem: string };
    const newCa = await createCertificateAuthority({ trustDomain: 'weft.local', ttlMs: 30 * 24 * 3600 * 1000 });
    const svidWith = async (ca: string) => {
      const csr = await createWorkloadCsr({ spiffeId: REVIEWS });
      const res = await call({ CA: ca }, '/v1/identity/svid', { method: 'POST', headers: { authorization: `Bearer ${await joinToken('reviews')}` }, body: JSON.stringify({ csr: csr.csrPem }) });
      expect(res.status).toBe(200);
      return (await res.json()) as SvidBody;
    };
    // Step 1: new CA published as next; the old one still issues.
    const step1 = await svidWith(JSON.stringify([{ ...oldCa, status: 'active' }, { ...newCa, status: 'next' }]));
    expect(step1.bundle.x509Authorities).toEqual([oldCa.certificatePem, newCa.certificatePem]);
    const fromOld = step1.x509Svid?.certificatePem ?? '';
    expect(await verifyX509Svid(fromOld, [oldCa.certificatePem])).toMatchObject({ ok: true });
    // Step 2: the new CA issues; the old one is retiring and still trusted.
    const step2 = await svidWith(JSON.stringify([{ ...oldCa, status: 'retiring' }, { ...newCa, status: 'active' }]));
    const fromNew = step2.x509Svid?.certificatePem ?? '';
    expect(await verifyX509Svid(fromNew, [newCa.certificatePem])).toMatchObject({ ok: true });
    expect(await verifyX509Svid(fromOld, step2.bundle.x509Authorities)).toMatchObject({ ok: true });
    // Step 3: the old CA leaves the bundle; its SVIDs no longer verify.
    const step3 = await svidWith(JSON.stringify([{ ...newCa, status: 'active' }]));
    expect(await verifyX509Svid(fromOld, step3.bundle.x509Authorities)).toMatchObject({ ok: false, code: 'untrusted' });
  });

  it('a CA that cannot be loaded answers 500 misconfigured, naming the problem', async () => {
    const res = await call({ CA: JSON.stringify([{ certificatePem: 'nope', privateKeyPem: 'nope', status: 'active' }]) }, '/v1/bundle', {});
    expect(res.status).toBe(500);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('misconfigured');
    expect(body.error.message).toMatch(/^CA: the active CA cannot be loaded: /);
  });

  it('a misconfigured key set answers 500 with a clear message', async () => {
    const res = await call({ SIGNING_KEYS: '[]' }, '/.well-known/jwks.json', {});
    expect(res.status).toBe(500);
    expect(((await res.json()) as { error: { code: string; message: string } }).error).toEqual({ code: 'misconfigured', message: 'SIGNING_KEYS: expected a non-empty JSON array of private JWKs' });
  });
});
