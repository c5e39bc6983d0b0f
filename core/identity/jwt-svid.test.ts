// JWT-SVIDs end to end with real ES256 and EdDSA keys: what a callee accepts, and each way it
// must refuse a token (expired, for someone else, unknown or wrong key, bad algorithm, bad
// subject, foreign trust domain), including key rotation with overlap.
import { SignJWT, base64url, generateSecret } from 'jose';
import type { JSONWebKeySet, JWK } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateSigningKeyPair, importSigningKey } from '../keys/signing-key.ts';
import type { SigningAlgorithm, SigningKey } from '../keys/signing-key.ts';
import { mintJwtSvid, verifyJwtSvid } from './jwt-svid.ts';

const WEB = 'spiffe://weft.local/ns/prod/sa/web';
const API = 'spiffe://weft.local/ns/prod/sa/api';
const NOW = Date.parse('2026-11-25T12:00:00Z');
const FIVE_MIN = 5 * 60_000;

interface Pair {
  key: SigningKey;
  publicJwk: JWK;
}

async function pair(alg: SigningAlgorithm): Promise<Pair> {
  const generated = await generateSigningKeyPair(alg);
  return { key: await importSigningKey(generated.privateJwk), publicJwk: generated.publicJwk };
}

function bundle(...pairs: Pair[]): JSONWebKeySet {
  return { keys: pairs.map((p) => p.publicJwk) };
}

function decodePart(token: string, index: number): Record<string, unknown> {
  return JSON.parse(new TextDecoder().decode(base64url.decode(token.split('.')[index] as string))) as Record<string, unknown>;
}

let es: Pair;
let ed: Pair;
beforeAll(async () => {
  es = await pair('ES256');
  ed = await pair('EdDSA');
});

describe('JWT-SVID round trip', () => {
  it.each(['ES256', 'EdDSA'] as const)('a %s token verifies for its audience and names the caller', async (alg) => {
    const p = alg === 'ES256' ? es : ed;
    const { token, expiresAt } = await mintJwtSvid({ spiffeId: WEB, audience: [API], ttlMs: FIVE_MIN, key: p.key, now: NOW });
    expect(expiresAt).toBe(NOW + FIVE_MIN);
    expect(decodePart(token, 0)).toEqual({ alg, kid: p.key.kid, typ: 'JWT' });
    const claims = decodePart(token, 1);
    expect(claims).toMatchObject({ sub: WEB, aud: [API], iat: NOW / 1000, exp: (NOW + FIVE_MIN) / 1000 });
    expect(typeof claims.jti).toBe('string');

    const result = await verifyJwtSvid(token, { trustBundle: bundle(es, ed), audience: API, trustDomain: 'weft.local', now: NOW + 60_000 });
    expect(result).toMatchObject({ ok: true, spiffeId: WEB, expiresAt: NOW + FIVE_MIN });
    if (result.ok) expect(result.claims.jti).toBe(claims.jti);
  });

  it('gives every token its own jti', async () => {
    const a = await mintJwtSvid({ spiffeId: WEB, audience: [API], ttlMs: FIVE_MIN, key: es.key, now: NOW });
    const b = await mintJwtSvid({ spiffeId: WEB, audience: [API], ttlMs: FIVE_MIN, key: es.key, now: NOW });
    expect(decodePart(a.token, 1).jti).not.toBe(decodePart(b.token, 1).jti);
  });

  it('accepts a token with several audiences when one is the verifier', async () => {
    const { token } = await mintJwtSvid({ spiffeId: WEB, audience: ['spiffe://weft.local/ns/prod/sa/db', API], ttlMs: FIVE_MIN, key: es.key, now: NOW });
    expect(await verifyJwtSvid(token, { trustBundle: bundle(es), audience: API, now: NOW })).toMatchObject({ ok: true, spiffeId: WEB });
  });
});

describe('minting refuses', () => {
  it.each([
    ['not-a-spiffe-id', [API]],
    ['spiffe://Weft/ns/a/sa/b', [API]],
    ['spiffe://weft.local', [API]],
    [WEB, []],
    [WEB, ['']],
  ])('subject %s with audience %j', async (spiffeId, audience) => {
    await expect(mintJwtSvid({ spiffeId, audience, ttlMs: FIVE_MIN, key: es.key, now: NOW })).rejects.toThrow(TypeError);
  });
});

describe('verification refuses', () => {
  async function token(overrides: Partial<Parameters<typeof mintJwtSvid>[0]> = {}): Promise<string> {
    return (await mintJwtSvid({ spiffeId: WEB, audience: [API], ttlMs: FIVE_MIN, key: es.key, now: NOW, ...overrides })).token;
  }

  it('an expired token (by the verifier clock), unless within the allowed skew', async () => {
    const t = await token();
    const late = NOW + FIVE_MIN + 10_000;
    expect(await verifyJwtSvid(t, { trustBundle: bundle(es), audience: API, now: late })).toMatchObject({ ok: false, code: 'expired' });
    expect(await verifyJwtSvid(t, { trustBundle: bundle(es), audience: API, now: NOW + FIVE_MIN })).toMatchObject({ ok: false, code: 'expired' });
    expect(await verifyJwtSvid(t, { trustBundle: bundle(es), audience: API, now: NOW + FIVE_MIN - 1000 })).toMatchObject({ ok: true });
    expect(await verifyJwtSvid(t, { trustBundle: bundle(es), audience: API, now: late, clockSkewMs: 30_000 })).toMatchObject({ ok: true });
  });

  it('a token for another audience', async () => {
    const result = await verifyJwtSvid(await token(), { trustBundle: bundle(es), audience: 'spiffe://weft.local/ns/prod/sa/db', now: NOW });
    expect(result).toMatchObject({ ok: false, code: 'wrong_audience' });
  });

  it('a token whose kid is not in the bundle', async () => {
    expect(await verifyJwtSvid(await token(), { trustBundle: bundle(ed), audience: API, now: NOW })).toMatchObject({ ok: false, code: 'unknown_key' });
  });

  it('a token signed by another key that claims a trusted kid', async () => {
    const impostor = await pair('ES256');
    const forged = await token({ key: { ...impostor.key, kid: es.key.kid } });
    expect(await verifyJwtSvid(forged, { trustBundle: bundle(es), audience: API, now: NOW })).toMatchObject({ ok: false, code: 'bad_signature' });
  });

  it('a tampered payload', async () => {
    const [h, , s] = (await token()).split('.');
    const claims = base64url.encode(JSON.stringify({ sub: 'spiffe://weft.local/ns/prod/sa/admin', aud: [API], exp: NOW / 1000 + 300 }));
    expect(await verifyJwtSvid(`${h}.${claims}.${s}`, { trustBundle: bundle(es), audience: API, now: NOW })).toMatchObject({ ok: false, code: 'bad_signature' });
  });

  it('alg none and HS256, even when the kid is trusted', async () => {
    const claims = base64url.encode(JSON.stringify({ sub: WEB, aud: [API], exp: NOW / 1000 + 300 }));
    const none = `${base64url.encode(JSON.stringify({ alg: 'none', kid: es.key.kid, typ: 'JWT' }))}.${claims}.`;
    expect(await verifyJwtSvid(none, { trustBundle: bundle(es), audience: API, now: NOW })).toMatchObject({ ok: false, code: 'algorithm_not_allowed' });
    const hs = await new SignJWT({ sub: WEB, aud: [API], exp: NOW / 1000 + 300 })
      .setProtectedHeader({ alg: 'HS256', kid: es.key.kid, typ: 'JWT' })
      .sign(await generateSecret('HS256'));
    expect(await verifyJwtSvid(hs, { trustBundle: bundle(es), audience: API, now: NOW })).toMatchObject({ ok: false, code: 'algorithm_not_allowed' });
  });

  it('a token without kid or exp, and things that are not tokens', async () => {
    const noKid = await new SignJWT({ sub: WEB, aud: [API], exp: NOW / 1000 + 300 }).setProtectedHeader({ alg: 'ES256' }).sign(es.key.privateKey);
    expect(await verifyJwtSvid(noKid, { trustBundle: bundle(es), audience: API, now: NOW })).toMatchObject({ ok: false, code: 'malformed' });
    const noExp = await new SignJWT({ sub: WEB, aud: [API] }).setProtectedHeader({ alg: 'ES256', kid: es.key.kid }).sign(es.key.privateKey);
    expect(await verifyJwtSvid(noExp, { trustBundle: bundle(es), audience: API, now: NOW })).toMatchObject({ ok: false, code: 'malformed', message: expect.stringContaining('exp') });
    for (const junk of ['', 'abc', 'a.b', '!!.??.**', `${base64url.encode('not json')}.e30.`])
      expect(await verifyJwtSvid(junk, { trustBundle: bundle(es), audience: API, now: NOW })).toMatchObject({ ok: false, code: 'malformed' });
  });

  it('a subject that is not a workload SPIFFE ID', async () => {
    for (const sub of ['web', 'spiffe://weft.local', 'spiffe://weft.local/ns/../sa/x', undefined]) {
      const t = await new SignJWT(sub === undefined ? {} : { sub })
        .setProtectedHeader({ alg: 'ES256', kid: es.key.kid, typ: 'JWT' })
        .setAudience([API])
        .setExpirationTime(NOW / 1000 + 300)
        .sign(es.key.privateKey);
      expect(await verifyJwtSvid(t, { trustBundle: bundle(es), audience: API, now: NOW })).toMatchObject({ ok: false, code: 'bad_subject' });
    }
  });

  it('a subject from another trust domain when the verifier names its own', async () => {
    const t = await token({ spiffeId: 'spiffe://partner.example/ns/prod/sa/web' });
    expect(await verifyJwtSvid(t, { trustBundle: bundle(es), audience: API, now: NOW })).toMatchObject({ ok: true });
    expect(await verifyJwtSvid(t, { trustBundle: bundle(es), audience: API, trustDomain: 'weft.local', now: NOW })).toMatchObject({
      ok: false,
      code: 'wrong_trust_domain',
    });
  });
});

describe('key rotation', () => {
  it('a token from the old key verifies while the old key is still published, and not after', async () => {
    const oldKey = await pair('ES256');
    const newKey = await pair('EdDSA');
    const fromOld = (await mintJwtSvid({ spiffeId: WEB, audience: [API], ttlMs: FIVE_MIN, key: oldKey.key, now: NOW })).token;
    const fromNew = (await mintJwtSvid({ spiffeId: WEB, audience: [API], ttlMs: FIVE_MIN, key: newKey.key, now: NOW })).token;
    const overlap = bundle(oldKey, newKey);
    expect(await verifyJwtSvid(fromOld, { trustBundle: overlap, audience: API, now: NOW })).toMatchObject({ ok: true, spiffeId: WEB });
    expect(await verifyJwtSvid(fromNew, { trustBundle: overlap, audience: API, now: NOW })).toMatchObject({ ok: true, spiffeId: WEB });
    const after = bundle(newKey);
    expect(await verifyJwtSvid(fromOld, { trustBundle: after, audience: API, now: NOW })).toMatchObject({ ok: false, code: 'unknown_key' });
    expect(await verifyJwtSvid(fromNew, { trustBundle: after, audience: API, now: NOW })).toMatchObject({ ok: true });
  });
});
