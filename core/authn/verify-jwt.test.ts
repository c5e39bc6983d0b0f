// End-user JWT verification with real ES256 and RS256 keys: what a provider accepts, and each
// way a token must be refused (expired, early, for another audience or issuer, `none`/HMAC,
// unknown key, tampered), with the provider's clock skew.
import { SignJWT, base64url } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeIssuerKey as makeKey } from '../../test/support/jwt-test-keys.ts';
import type { TestIssuerKey as Key } from '../../test/support/jwt-test-keys.ts';
import type { CompiledJwtProvider } from '../policy/authentication/compile.ts';
import { JwksCache } from './jwks-cache.ts';
import { unverifiedIssuer, verifyJwt } from './verify-jwt.ts';

const ISS = 'https://idp.example.com/';
const AUD = 'https://api.example.com';
const NOW = Date.parse('2026-11-25T12:00:00Z');
const SEC = Math.floor(NOW / 1000);


function sign(key: Key, claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT({ iss: ISS, sub: 'user-1', aud: AUD, iat: SEC - 60, exp: SEC + 600, ...claims })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT', ...header })
    .sign(key.privateKey);
}

function provider(keys: Key[], over: Partial<CompiledJwtProvider> = {}): CompiledJwtProvider {
  return {
    name: 'idp',
    issuer: ISS,
    jwksUri: null,
    jwks: { keys: keys.map((k) => k.publicJwk as Record<string, unknown>) },
    audiences: [AUD],
    algorithms: ['ES256', 'RS256'],
    clockSkewMs: 0,
    from: [{ header: 'authorization', prefix: 'Bearer ' }],
    forwardClaims: [],
    forwardOriginalToken: false,
    ...over,
  };
}

const deps = (now = NOW) => ({ jwks: new JwksCache({ fetch: () => Promise.reject(new Error('no network in this test')) }), now: () => now });

function encodeJson(value: unknown): string {
  return base64url.encode(new TextEncoder().encode(JSON.stringify(value)));
}

let es: Key;
let rs: Key;
let other: Key;
beforeAll(async () => {
  [es, rs, other] = await Promise.all([makeKey('ES256', 'es-1'), makeKey('RS256', 'rs-1'), makeKey('ES256', 'es-other')]);
});

describe('verifyJwt', () => {
  it.each(['ES256', 'RS256'] as const)('accepts a good %s token and returns issuer, subject and claims', async (alg) => {
    const key = alg === 'ES256' ? es : rs;
    const result = await verifyJwt(await sign(key, { groups: ['a'] }), provider([es, rs]), deps());
    expect(result).toMatchObject({ ok: true, issuer: ISS, subject: 'user-1', claims: { groups: ['a'], aud: AUD } });
  });

  it('accepts any audience when the provider lists none', async () => {
    const result = await verifyJwt(await sign(es, { aud: 'something-else' }), provider([es], { audiences: [] }), deps());
    expect(result.ok).toBe(true);
  });

  it('accepts a token whose aud array holds one of the audiences', async () => {
    const result = await verifyJwt(await sign(es, { aud: ['x', AUD] }), provider([es]), deps());
    expect(result.ok).toBe(true);
  });

  it('refuses an expired token', async () => {
    const result = await verifyJwt(await sign(es, { exp: SEC - 1 }), provider([es]), deps());
    expect(result).toMatchObject({ ok: false, code: 'expired' });
  });

  it('refuses a token that is not valid yet', async () => {
    const result = await verifyJwt(await sign(es, { nbf: SEC + 120 }), provider([es]), deps());
    expect(result).toMatchObject({ ok: false, code: 'not_yet_valid' });
  });

  it('respects the provider clock skew on exp and nbf', async () => {
    const late = await sign(es, { exp: SEC - 20 });
    const early = await sign(es, { nbf: SEC + 20 });
    expect((await verifyJwt(late, provider([es], { clockSkewMs: 30_000 }), deps())).ok).toBe(true);
    expect((await verifyJwt(early, provider([es], { clockSkewMs: 30_000 }), deps())).ok).toBe(true);
    expect(await verifyJwt(late, provider([es], { clockSkewMs: 10_000 }), deps())).toMatchObject({ ok: false, code: 'expired' });
    expect(await verifyJwt(early, provider([es], { clockSkewMs: 10_000 }), deps())).toMatchObject({ ok: false, code: 'not_yet_valid' });
  });

  it('uses the injected clock, not the machine clock', async () => {
    const token = await sign(es);
    expect((await verifyJwt(token, provider([es]), deps(NOW))).ok).toBe(true);
    expect(await verifyJwt(token, provider([es]), deps(NOW + 3_600_000))).toMatchObject({ ok: false, code: 'expired' });
  });

  it('refuses a token for another audience', async () => {
    const result = await verifyJwt(await sign(es, { aud: 'https://other.example.com' }), provider([es]), deps());
    expect(result).toMatchObject({ ok: false, code: 'wrong_audience' });
  });

  it('refuses a token from another issuer', async () => {
    const result = await verifyJwt(await sign(es, { iss: 'https://evil.example.com/' }), provider([es]), deps());
    expect(result).toMatchObject({ ok: false, code: 'wrong_issuer' });
  });

  it('refuses an unsigned alg:none token', async () => {
    const token = `${encodeJson({ alg: 'none', typ: 'JWT' })}.${encodeJson({ iss: ISS, sub: 'user-1', aud: AUD, exp: SEC + 600 })}.`;
    expect(unverifiedIssuer(token)).toBe(ISS);
    const result = await verifyJwt(token, provider([es]), deps());
    expect(result).toMatchObject({ ok: false, code: 'algorithm_not_allowed' });
  });

  it('refuses an HS256 token, even one keyed with the public key (algorithm confusion)', async () => {
    const secret = new TextEncoder().encode(JSON.stringify(rs.publicJwk));
    const token = await new SignJWT({ iss: ISS, sub: 'user-1', aud: AUD, exp: SEC + 600 }).setProtectedHeader({ alg: 'HS256', kid: 'rs-1' }).sign(secret);
    expect(await verifyJwt(token, provider([rs]), deps())).toMatchObject({ ok: false, code: 'algorithm_not_allowed' });
    // Even a provider misconfigured to list HS256 never accepts it.
    expect(await verifyJwt(token, provider([rs], { algorithms: ['HS256', 'RS256'] }), deps())).toMatchObject({ ok: false, code: 'algorithm_not_allowed' });
  });

  it('refuses an algorithm the provider does not list', async () => {
    const result = await verifyJwt(await sign(rs), provider([rs], { algorithms: ['ES256'] }), deps());
    expect(result).toMatchObject({ ok: false, code: 'algorithm_not_allowed' });
  });

  it('refuses a token signed by a key the issuer does not publish', async () => {
    expect(await verifyJwt(await sign(other), provider([es]), deps())).toMatchObject({ ok: false, code: 'unknown_key' });
  });

  it('refuses a token signed by another key under a published kid', async () => {
    const forged = await sign({ ...other, kid: 'es-1' });
    expect(await verifyJwt(forged, provider([es]), deps())).toMatchObject({ ok: false, code: 'bad_signature' });
  });

  it('refuses a tampered payload and a tampered signature', async () => {
    const token = await sign(es);
    const [h, , s] = token.split('.') as [string, string, string];
    const payload = encodeJson({ iss: ISS, sub: 'admin', aud: AUD, iat: SEC - 60, exp: SEC + 600 });
    expect(await verifyJwt(`${h}.${payload}.${s}`, provider([es]), deps())).toMatchObject({ ok: false, code: 'bad_signature' });
    const flipped = s.slice(0, 10) + (s[10] === 'A' ? 'B' : 'A') + s.slice(11);
    expect(await verifyJwt(`${h}.${token.split('.')[1]}.${flipped}`, provider([es]), deps())).toMatchObject({ ok: false, code: 'bad_signature' });
  });

  it('verifies a token without kid against every key that fits', async () => {
    const second = await makeKey('ES256', 'es-2');
    const token = await new SignJWT({ iss: ISS, sub: 'user-1', aud: AUD, exp: SEC + 600 }).setProtectedHeader({ alg: 'ES256' }).sign(second.privateKey);
    expect((await verifyJwt(token, provider([es, second]), deps())).ok).toBe(true);
    const stranger = await new SignJWT({ iss: ISS, sub: 'user-1', aud: AUD, exp: SEC + 600 }).setProtectedHeader({ alg: 'ES256' }).sign(other.privateKey);
    expect(await verifyJwt(stranger, provider([es, second]), deps())).toMatchObject({ ok: false, code: 'bad_signature' });
  });

  it('refuses tokens without exp or sub, and strings that are not JWTs', async () => {
    const noExp = await new SignJWT({ iss: ISS, sub: 'user-1', aud: AUD }).setProtectedHeader({ alg: 'ES256', kid: 'es-1' }).sign(es.privateKey);
    expect(await verifyJwt(noExp, provider([es]), deps())).toMatchObject({ ok: false, code: 'malformed', message: 'the token has no exp claim' });
    const noSub = await new SignJWT({ iss: ISS, aud: AUD, exp: SEC + 600 }).setProtectedHeader({ alg: 'ES256', kid: 'es-1' }).sign(es.privateKey);
    expect(await verifyJwt(noSub, provider([es]), deps())).toMatchObject({ ok: false, code: 'malformed' });
    for (const junk of ['', 'abc', 'a.b', 'a.b.c.d', '!!.??.**', `${encodeJson([1])}.${encodeJson({})}.sig`])
      expect(await verifyJwt(junk, provider([es]), deps())).toMatchObject({ ok: false, code: 'malformed' });
  });

  it('answers jwks_unavailable when the remote key set cannot be fetched', async () => {
    const result = await verifyJwt(await sign(es), provider([], { jwks: null, jwksUri: 'https://idp.example.com/jwks.json' }), deps());
    expect(result).toMatchObject({ ok: false, code: 'jwks_unavailable' });
  });
});

describe('a verified token, remembered (one signature check per token, provider and key set)', () => {
  it('is refused once it expires, at exactly the moment it would be without the memory', async () => {
    const p = provider([es]);
    const token = await sign(es, { exp: SEC + 60 });
    expect((await verifyJwt(token, p, deps(NOW))).ok).toBe(true);
    expect((await verifyJwt(token, p, deps(NOW + 59_999))).ok).toBe(true);
    expect(await verifyJwt(token, p, deps(NOW + 60_000))).toMatchObject({ ok: false, code: 'expired' });
    // With the provider's clock skew, later.
    const lenient = provider([es], { clockSkewMs: 30_000 });
    expect((await verifyJwt(token, lenient, deps(NOW))).ok).toBe(true);
    expect((await verifyJwt(token, lenient, deps(NOW + 89_999))).ok).toBe(true);
    expect(await verifyJwt(token, lenient, deps(NOW + 90_000))).toMatchObject({ ok: false, code: 'expired' });
  });

  it('counts for its provider only: the next policy (another audience, another key set) checks it afresh', async () => {
    const token = await sign(es);
    const before = provider([es]);
    expect((await verifyJwt(token, before, deps())).ok).toBe(true);
    expect(await verifyJwt(token, provider([es], { audiences: ['https://other.example.com'] }), deps())).toMatchObject({ ok: false, code: 'wrong_audience' });
    expect(await verifyJwt(token, provider([other]), deps())).toMatchObject({ ok: false, code: 'unknown_key' });
    expect((await verifyJwt(token, before, deps())).ok).toBe(true);
  });

  it('a refused token is not remembered: refused while not valid yet, accepted once it is', async () => {
    const p = provider([es]);
    const token = await sign(es, { nbf: SEC + 60 });
    expect(await verifyJwt(token, p, deps(NOW))).toMatchObject({ ok: false, code: 'not_yet_valid' });
    expect((await verifyJwt(token, p, deps(NOW + 60_000))).ok).toBe(true);
  });

  it('answers with a copy of the claims each time', async () => {
    const p = provider([es]);
    const token = await sign(es, { plan: 'pro' });
    const first = await verifyJwt(token, p, deps());
    if (first.ok) first.claims.plan = 'changed by a caller';
    expect(await verifyJwt(token, p, deps())).toMatchObject({ ok: true, claims: { plan: 'pro' } });
  });
});
