// authenticate() as the gateway and sidecars call it: where tokens are read from, what a
// required or optional Authentication does with no, good and bad credentials, which headers
// are stripped and set upstream, API keys, and JWTs and API keys configured together.
import { SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeIssuerKey as makeKey } from '../../test/support/jwt-test-keys.ts';
import type { TestIssuerKey as Key } from '../../test/support/jwt-test-keys.ts';
import type { CompiledAuthentication, CompiledJwtProvider, TokenSource } from '../policy/authentication/compile.ts';
import { sha256Hex } from './api-key.ts';
import { authenticate, forwardedClaimValues } from './authenticate.ts';
import type { AuthnResult } from './authenticate.ts';
import { JwksCache } from './jwks-cache.ts';

const ISS = 'https://idp.example.com/';
const PARTNER_ISS = 'https://partner.example.org';
const AUD = 'https://api.example.com';
const NOW = Date.parse('2026-11-25T12:00:00Z');
const SEC = Math.floor(NOW / 1000);
const ACME_KEY = 'acme-secret-key-0001';


function sign(key: Key, claims: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT({ iss: ISS, sub: 'user-1', aud: AUD, iat: SEC - 60, exp: SEC + 600, ...claims })
    .setProtectedHeader({ alg: key.alg, kid: key.kid })
    .sign(key.privateKey);
}

let es: Key;
let rs: Key;
let partner: Key;
let acmeHash: string;
beforeAll(async () => {
  [es, rs, partner] = await Promise.all([makeKey('ES256', 'es-1'), makeKey('RS256', 'rs-1'), makeKey('ES256', 'partner-1')]);
  acmeHash = await sha256Hex(ACME_KEY);
});

function jwtProvider(over: Partial<CompiledJwtProvider> = {}): CompiledJwtProvider {
  return {
    name: 'idp',
    issuer: ISS,
    jwksUri: null,
    jwks: { keys: [es.publicJwk, rs.publicJwk] as Record<string, unknown>[] },
    audiences: [AUD],
    algorithms: ['ES256', 'RS256'],
    clockSkewMs: 30_000,
    from: [{ header: 'authorization', prefix: 'Bearer ' }],
    forwardClaims: [],
    forwardOriginalToken: false,
    ...over,
  };
}

function config(over: Partial<CompiledAuthentication> = {}): CompiledAuthentication {
  return { id: 'default/api', targets: [{ kind: 'Route', id: 'default/api' }], mode: 'required', jwt: [jwtProvider()], apiKeys: null, ...over };
}

function apiKeys(from: TokenSource = { header: 'x-api-key', prefix: '' }) {
  return { from, keys: [{ name: 'acme', sha256: acmeHash, claims: { plan: 'partner' } }] };
}

function request(headers: Record<string, string> = {}, query: Record<string, string> = {}) {
  return { headers: new Headers(headers), query: new URLSearchParams(query) };
}

const deps = { jwks: new JwksCache({ fetch: () => Promise.reject(new Error('offline')) }), now: () => NOW };

function expectRejected(result: AuthnResult, code: string): asserts result is Extract<AuthnResult, { status: 'rejected' }> {
  expect(result).toMatchObject({ status: 'rejected', code });
}

describe('authenticate: JWTs', () => {
  it.each(['ES256', 'RS256'] as const)('accepts a good %s bearer token and names the end user', async (alg) => {
    const token = await sign(alg === 'ES256' ? es : rs);
    const result = await authenticate(config(), request({ authorization: `Bearer ${token}` }), deps);
    expect(result).toEqual({
      status: 'authenticated',
      principal: { kind: 'jwt', provider: 'idp', issuer: ISS, subject: 'user-1', requestPrincipal: `${ISS}/user-1`, claims: expect.objectContaining({ sub: 'user-1' }) },
      apiKeyName: null,
      setHeaders: {},
      removeHeaders: ['authorization'],
    });
  });

  it('matches the Bearer scheme case-insensitively', async () => {
    const token = await sign(es);
    for (const scheme of ['bearer', 'BEARER', 'Bearer'])
      expect((await authenticate(config(), request({ authorization: `${scheme} ${token}` }), deps)).status).toBe('authenticated');
  });

  it.each([
    ['expired', { exp: SEC - 3600 }],
    ['not_yet_valid', { nbf: SEC + 3600 }],
    ['wrong_audience', { aud: 'https://elsewhere.example.com' }],
  ])('rejects a %s token with RFC 6750 invalid_token', async (code, claims) => {
    const result = await authenticate(config(), request({ authorization: `Bearer ${await sign(es, claims)}` }), deps);
    expectRejected(result, code);
    expect(result.httpStatus).toBe(401);
    expect(result.wwwAuthenticate).toMatch(/^Bearer realm="weft", error="invalid_token", error_description="[^"\\]+"$/);
  });

  it('rejects a token from an issuer no provider accepts', async () => {
    const result = await authenticate(config(), request({ authorization: `Bearer ${await sign(es, { iss: 'https://evil.example.com/' })}` }), deps);
    expectRejected(result, 'wrong_issuer');
    expect(result.message).toContain('https://evil.example.com/');
  });

  it('rejects a token that is not a JWT at all', async () => {
    expectRejected(await authenticate(config(), request({ authorization: 'Bearer not-a-jwt' }), deps), 'malformed');
  });

  it('respects the provider clock skew', async () => {
    const token = await sign(es, { exp: SEC - 20 });
    expect((await authenticate(config(), request({ authorization: `Bearer ${token}` }), deps)).status).toBe('authenticated');
    const strict = config({ jwt: [jwtProvider({ clockSkewMs: 0 })] });
    expectRejected(await authenticate(strict, request({ authorization: `Bearer ${token}` }), deps), 'expired');
  });

  it('picks the provider by the token issuer', async () => {
    const auth = config({ jwt: [jwtProvider(), jwtProvider({ name: 'partner', issuer: PARTNER_ISS, jwks: { keys: [partner.publicJwk as Record<string, unknown>] }, audiences: [] })] });
    const token = await new SignJWT({ iss: PARTNER_ISS, sub: 'svc-7', exp: SEC + 600 }).setProtectedHeader({ alg: 'ES256', kid: 'partner-1' }).sign(partner.privateKey);
    const result = await authenticate(auth, request({ authorization: `Bearer ${token}` }), deps);
    expect(result).toMatchObject({ status: 'authenticated', principal: { provider: 'partner', requestPrincipal: `${PARTNER_ISS}/svc-7` } });
    // A partner-issued token signed with the main issuer's key does not pass as the partner.
    const crossed = await new SignJWT({ iss: PARTNER_ISS, sub: 'svc-7', exp: SEC + 600 }).setProtectedHeader({ alg: 'ES256', kid: 'es-1' }).sign(es.privateKey);
    expectRejected(await authenticate(auth, request({ authorization: `Bearer ${crossed}` }), deps), 'unknown_key');
  });

  it('reads the token from a query parameter', async () => {
    const auth = config({ jwt: [jwtProvider({ from: [{ query: 'access_token' }] })] });
    const result = await authenticate(auth, request({}, { access_token: await sign(es) }), deps);
    expect(result).toMatchObject({ status: 'authenticated', setHeaders: {}, removeHeaders: [] });
  });

  it('reads the token from a cookie and cuts it out of the Cookie header sent upstream', async () => {
    const auth = config({ jwt: [jwtProvider({ from: [{ cookie: 'session' }] })] });
    const token = await sign(es);
    const result = await authenticate(auth, request({ cookie: `theme=dark; session=${token}; lang=en` }), deps);
    expect(result).toMatchObject({ status: 'authenticated', setHeaders: { cookie: 'theme=dark; lang=en' }, removeHeaders: [] });
    const alone = await authenticate(auth, request({ cookie: `session="${token}"` }), deps);
    expect(alone).toMatchObject({ status: 'authenticated', setHeaders: {}, removeHeaders: ['cookie'] });
  });

  it('reads a header with a custom prefix, and the sources in order', async () => {
    const auth = config({ jwt: [jwtProvider({ from: [{ header: 'x-token', prefix: 'Token ' }, { header: 'authorization', prefix: 'Bearer ' }] })] });
    const token = await sign(es);
    expect(await authenticate(auth, request({ 'x-token': `Token ${token}` }), deps)).toMatchObject({ status: 'authenticated', removeHeaders: ['x-token'] });
    expect(await authenticate(auth, request({ authorization: `Bearer ${token}` }), deps)).toMatchObject({ status: 'authenticated', removeHeaders: ['authorization'] });
    // The first source that holds a token is the one used.
    expectRejected(await authenticate(auth, request({ 'x-token': 'Token junk', authorization: `Bearer ${token}` }), deps), 'malformed');
  });

  it('keeps the token upstream with forwardOriginalToken', async () => {
    const auth = config({ jwt: [jwtProvider({ forwardOriginalToken: true })] });
    expect(await authenticate(auth, request({ authorization: `Bearer ${await sign(es)}` }), deps)).toMatchObject({ status: 'authenticated', removeHeaders: [] });
  });

  it('forwards claims as headers (nested, arrays, numbers, objects) and strips client-sent copies', async () => {
    const auth = config({
      jwt: [
        jwtProvider({
          forwardClaims: [
            { claim: 'sub', header: 'x-user-id' },
            { claim: 'org.id', header: 'x-org-id' },
            { claim: 'groups', header: 'x-groups' },
            { claim: 'https://example.com/tier', header: 'x-tier' },
            { claim: 'level', header: 'x-level' },
            { claim: 'verified', header: 'x-verified' },
            { claim: 'org', header: 'x-org' },
            { claim: 'name', header: 'x-name' },
            { claim: 'missing', header: 'x-missing' },
          ],
        }),
      ],
    });
    const token = await sign(es, { org: { id: 'o-42', name: 'Acme' }, groups: ['admins', 'ops'], 'https://example.com/tier': 'gold', level: 3, verified: true, name: 'José' });
    const result = await authenticate(auth, request({ authorization: `Bearer ${token}`, 'x-user-id': 'forged-admin', 'x-missing': 'forged' }), deps);
    expect(result).toMatchObject({ status: 'authenticated' });
    if (result.status !== 'authenticated') return;
    expect(result.setHeaders).toEqual({
      'x-user-id': 'user-1',
      'x-org-id': 'o-42',
      'x-groups': 'admins,ops',
      'x-tier': 'gold',
      'x-level': '3',
      'x-verified': 'true',
      'x-org': '{"id":"o-42","name":"Acme"}',
      'x-name': 'Jos%C3%A9',
    });
    expect(result.removeHeaders).toEqual(expect.arrayContaining(['x-user-id', 'x-org-id', 'x-groups', 'x-tier', 'x-missing', 'authorization']));

    // What the upstream sees once the adapter applies the result.
    const upstream = new Headers({ authorization: `Bearer ${token}`, 'x-user-id': 'forged-admin', 'x-missing': 'forged', accept: 'text/html' });
    for (const name of result.removeHeaders) upstream.delete(name);
    for (const [name, value] of Object.entries(result.setHeaders)) upstream.set(name, value);
    expect(upstream.get('x-user-id')).toBe('user-1');
    expect(upstream.get('x-missing')).toBeNull();
    expect(upstream.get('authorization')).toBeNull();
    expect(upstream.get('accept')).toBe('text/html');
  });

  it('never forwards a claim that would break the header line', async () => {
    const auth = config({ jwt: [jwtProvider({ forwardClaims: [{ claim: 'evil', header: 'x-evil' }] })] });
    const token = await sign(es, { evil: 'a\r\nx-admin: true' });
    const result = await authenticate(auth, request({ authorization: `Bearer ${token}`, 'x-evil': 'client' }), deps);
    expect(result).toMatchObject({ status: 'authenticated', setHeaders: {}, removeHeaders: expect.arrayContaining(['x-evil']) });
  });

  it('answers 503 jwks_unavailable when the issuer keys cannot be fetched', async () => {
    const auth = config({ jwt: [jwtProvider({ jwks: null, jwksUri: 'https://idp.example.com/.well-known/jwks.json' })] });
    const result = await authenticate(auth, request({ authorization: `Bearer ${await sign(es)}` }), deps);
    expectRejected(result, 'jwks_unavailable');
    expect(result.httpStatus).toBe(503);
  });

  it('fetches a remote JWKS through the cache', async () => {
    let fetches = 0;
    const jwks = new JwksCache({
      fetch: async () => {
        fetches++;
        return Response.json({ keys: [es.publicJwk] });
      },
      now: () => NOW,
    });
    const auth = config({ jwt: [jwtProvider({ jwks: null, jwksUri: 'https://idp.example.com/.well-known/jwks.json' })] });
    for (let i = 0; i < 3; i++)
      expect((await authenticate(auth, request({ authorization: `Bearer ${await sign(es, { sub: `u${i}` })}` }), { jwks, now: () => NOW })).status).toBe('authenticated');
    expect(fetches).toBe(1);
  });
});

describe('authenticate: required and optional', () => {
  it('required: no credentials → 401 with a Bearer challenge', async () => {
    const result = await authenticate(config(), request(), deps);
    expectRejected(result, 'missing_credentials');
    expect(result.httpStatus).toBe(401);
    expect(result.wwwAuthenticate).toBe('Bearer realm="weft"');
    expect(result.message).toBe('authentication required: send a bearer token in the authorization header as "Bearer <token>"');
  });

  it('a header without the expected scheme is no credential', async () => {
    expectRejected(await authenticate(config(), request({ authorization: 'Basic dXNlcjpwYXNz' }), deps), 'missing_credentials');
    expect(await authenticate(config({ mode: 'optional' }), request({ authorization: 'Basic dXNlcjpwYXNz' }), deps)).toMatchObject({ status: 'anonymous' });
  });

  it('optional: no credentials → anonymous, with client-sent claim headers stripped', async () => {
    const auth = config({ mode: 'optional', jwt: [jwtProvider({ forwardClaims: [{ claim: 'sub', header: 'x-user-id' }] })] });
    expect(await authenticate(auth, request({ 'x-user-id': 'forged' }), deps)).toEqual({ status: 'anonymous', removeHeaders: ['x-user-id'] });
  });

  it('optional: a bad token is still rejected', async () => {
    const auth = config({ mode: 'optional' });
    expectRejected(await authenticate(auth, request({ authorization: `Bearer ${await sign(es, { exp: SEC - 3600 })}` }), deps), 'expired');
    expect((await authenticate(auth, request({ authorization: `Bearer ${await sign(es)}` }), deps)).status).toBe('authenticated');
  });
});

describe('authenticate: API keys', () => {
  it('accepts a configured key and names its owner', async () => {
    const auth = config({ jwt: [], apiKeys: apiKeys() });
    expect(await authenticate(auth, request({ 'x-api-key': ACME_KEY }), deps)).toEqual({
      status: 'authenticated',
      principal: { kind: 'api-key', name: 'acme', requestPrincipal: 'apikey/acme', claims: { plan: 'partner' } },
      apiKeyName: 'acme',
      setHeaders: {},
      removeHeaders: ['x-api-key'],
    });
  });

  it('rejects an unknown key', async () => {
    const auth = config({ jwt: [], apiKeys: apiKeys() });
    const result = await authenticate(auth, request({ 'x-api-key': 'guess' }), deps);
    expectRejected(result, 'invalid_api_key');
    expect(result.wwwAuthenticate).toMatch(/^ApiKey realm="weft", error="invalid_token"/);
  });

  it('says where the key goes when it is missing', async () => {
    const auth = config({ jwt: [], apiKeys: apiKeys() });
    const result = await authenticate(auth, request(), deps);
    expectRejected(result, 'missing_credentials');
    expect(result.message).toBe('authentication required: send an API key in the x-api-key header');
    expect(result.wwwAuthenticate).toBe('ApiKey realm="weft"');
  });

  it('reads keys from a query parameter or a cookie too', async () => {
    expect((await authenticate(config({ jwt: [], apiKeys: apiKeys({ query: 'key' }) }), request({}, { key: ACME_KEY }), deps)).status).toBe('authenticated');
    expect((await authenticate(config({ jwt: [], apiKeys: apiKeys({ cookie: 'k' }) }), request({ cookie: `k=${ACME_KEY}` }), deps)).status).toBe('authenticated');
  });
});

describe('authenticate: JWT and API keys together', () => {
  const both = () => config({ apiKeys: apiKeys() });

  it('either may authenticate', async () => {
    expect(await authenticate(both(), request({ authorization: `Bearer ${await sign(es)}` }), deps)).toMatchObject({ status: 'authenticated', principal: { kind: 'jwt' } });
    expect(await authenticate(both(), request({ 'x-api-key': ACME_KEY }), deps)).toMatchObject({ status: 'authenticated', principal: { kind: 'api-key' } });
  });

  it('names both in the 401 when neither is sent', async () => {
    const result = await authenticate(both(), request(), deps);
    expectRejected(result, 'missing_credentials');
    expect(result.message).toContain('bearer token');
    expect(result.message).toContain('API key in the x-api-key header');
    expect(result.wwwAuthenticate).toBe('Bearer realm="weft"');
  });

  it('rejects when any credential presented is bad, even if another is good', async () => {
    expectRejected(await authenticate(both(), request({ authorization: `Bearer ${await sign(es)}`, 'x-api-key': 'wrong' }), deps), 'invalid_api_key');
    expectRejected(await authenticate(both(), request({ authorization: `Bearer ${await sign(es, { exp: SEC - 3600 })}`, 'x-api-key': ACME_KEY }), deps), 'expired');
  });

  it('with both valid, the end user (JWT) is the principal, the key is still named (per-key limits), both are stripped', async () => {
    const result = await authenticate(both(), request({ authorization: `Bearer ${await sign(es)}`, 'x-api-key': ACME_KEY }), deps);
    expect(result).toMatchObject({ status: 'authenticated', principal: { kind: 'jwt' }, apiKeyName: 'acme', removeHeaders: ['authorization', 'x-api-key'] });
  });

  it('one header read by both: an API key or a JWT, whichever it proves to be', async () => {
    const auth = config({ apiKeys: apiKeys({ header: 'authorization', prefix: 'Bearer ' }) });
    expect(await authenticate(auth, request({ authorization: `Bearer ${ACME_KEY}` }), deps)).toMatchObject({ status: 'authenticated', principal: { kind: 'api-key', name: 'acme' } });
    expect(await authenticate(auth, request({ authorization: `Bearer ${await sign(es)}` }), deps)).toMatchObject({ status: 'authenticated', principal: { kind: 'jwt' } });
    expectRejected(await authenticate(auth, request({ authorization: 'Bearer nope' }), deps), 'invalid_api_key');
  });
});

describe('forwardedClaimValues (what the edge token carries)', () => {
  it("the user's values of the forwarded claims, nested names resolved, absent ones left out", () => {
    const auth = config({ jwt: [jwtProvider({ forwardClaims: [{ claim: 'plan', header: 'x-plan' }, { claim: 'org.id', header: 'x-org-id' }, { claim: 'missing', header: 'x-missing' }] })] });
    expect(forwardedClaimValues(auth, { sub: 'ana', plan: 'pro', org: { id: 7 }, secret: 's' })).toEqual({ plan: 'pro', 'org.id': 7 });
    expect(forwardedClaimValues(undefined, { plan: 'pro' })).toEqual({});
  });
});
