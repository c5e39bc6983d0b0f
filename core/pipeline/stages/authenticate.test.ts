// authenticate: the end user or partner for the Authentication attached to the request's
// targets (JWTs against inline keys on the fake clock, API keys by hash), and what it does
// to the upstream headers. Inbound, a user already taken from a verified edge token passes.
import { SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../authn/api-key.ts';
import type { SnapshotRuntime } from '../../runtime/snapshot-runtime.ts';
import { makeIssuerKey } from '../../../test/support/jwt-test-keys.ts';
import type { TestIssuerKey } from '../../../test/support/jwt-test-keys.ts';
import { T0, doc, fixture, meshDoc, runAll, runtimeOf } from '../../../test/support/pipeline-fixture.ts';
import type { FixtureOptions } from '../../../test/support/pipeline-fixture.ts';
import { authenticateStage } from './authenticate.ts';
import { matchEdgeRouteStage, matchMeshRouteStage } from './match-route.ts';
import { normalizePathStage } from './normalize-path.ts';

const ISS = 'https://idp.example.com';
const ACME_KEY = 'acme-secret-key-0001';

let key: TestIssuerKey;
let runtime: SnapshotRuntime;

function edgeRoute(name: string, host: string): string {
  return doc('Route', name, `edge:\n  hosts: [${host}]\nrules:\n  - name: all\n    backends: [{ service: api }]`);
}

beforeAll(async () => {
  key = await makeIssuerKey('ES256', 'k1');
  const acme = await sha256Hex(ACME_KEY);
  const jwt = `jwt:
  - name: idp
    issuer: ${ISS}
    audiences: [api.example.com]
    algorithms: [ES256]
    jwks: ${JSON.stringify({ keys: [key.publicJwk] })}
    forwardClaims:
      - { claim: sub, header: x-user-id }`;
  runtime = await runtimeOf(
    [
      meshDoc(),
      doc('Service', 'api', 'port: 8080\nendpoints:\n  - address: 10.0.0.1'),
      edgeRoute('api', 'api.example.com'),
      edgeRoute('open', 'open.example.com'),
      edgeRoute('maybe', 'maybe.example.com'),
      doc(
        'Authentication',
        'api',
        `targetRefs: [{ kind: Route, name: api }]\nmode: required\n${jwt}\napiKeys:\n  from: { header: x-api-key }\n  keys:\n    - { name: acme, sha256: ${acme}, claims: { plan: partner } }`,
      ),
      doc('Authentication', 'maybe', `targetRefs: [{ kind: Route, name: maybe }]\nmode: optional\n${jwt}`),
      doc('Authentication', 'svc', `targetRefs: [{ kind: Service, name: api }]\nmode: required\napiKeys:\n  keys:\n    - { name: acme, sha256: ${acme} }`),
    ].join('---\n'),
  );
});

function token(claims: Record<string, unknown> = {}): Promise<string> {
  const sec = Math.floor(T0 / 1000);
  return new SignJWT({ iss: ISS, sub: 'user-1', aud: 'api.example.com', iat: sec - 60, exp: sec + 600, ...claims })
    .setProtectedHeader({ alg: 'ES256', kid: key.kid })
    .sign(key.privateKey);
}

async function atEdge(request: FixtureOptions['request'], now?: number) {
  const f = fixture({ runtime, request, ...(now !== undefined ? { now } : {}) });
  expect(await runAll(f.c, [normalizePathStage, matchEdgeRouteStage])).toBeUndefined();
  return { ...f, answer: await authenticateStage(f.c) };
}

describe('authenticate stage', () => {
  it('passes a request no Authentication applies to, synchronously', async () => {
    const f = fixture({ runtime, request: { host: 'open.example.com', headers: { authorization: 'Bearer junk' } } });
    await runAll(f.c, [normalizePathStage, matchEdgeRouteStage]);
    expect(authenticateStage(f.c)).toBeUndefined();
    expect(f.c.user).toBeUndefined();
    expect(f.headers.get('authorization')).toBe('Bearer junk');
  });

  it('refuses a required Authentication without credentials: 401 missing_credentials with a challenge', async () => {
    const { answer, c } = await atEdge({});
    expect(answer).toEqual({
      status: 401,
      code: 'missing_credentials',
      message: 'authentication required: send a bearer token in the authorization header as "Bearer <token>", or an API key in the x-api-key header',
      headers: { 'www-authenticate': 'Bearer realm="weft"' },
    });
    expect(c.user).toBeUndefined();
  });

  it('takes a valid API key: the user is apikey/<name>, its claims, and the key header is not sent on', async () => {
    const { answer, c, headers } = await atEdge({ headers: { 'x-api-key': ACME_KEY, 'x-user-id': 'forged' } });
    expect(answer).toBeUndefined();
    expect(c.user).toEqual({ requestPrincipal: 'apikey/acme', claims: { plan: 'partner' }, apiKey: 'acme' });
    expect(headers.get('x-api-key')).toBeNull();
    // a forwarded-claim header a client sent is never passed on
    expect(headers.get('x-user-id')).toBeNull();
  });

  it('refuses a wrong API key: 401 invalid_api_key', async () => {
    const { answer, c } = await atEdge({ headers: { 'x-api-key': 'guess' } });
    expect(answer).toEqual({
      status: 401,
      code: 'invalid_api_key',
      message: 'the API key is not valid',
      headers: { 'www-authenticate': 'Bearer realm="weft", error="invalid_token", error_description="the API key is not valid"' },
    });
    expect(c.user).toBeUndefined();
  });

  it('takes a valid JWT on the fake clock: iss/sub, claims forwarded, the token not sent on', async () => {
    const { answer, c, headers } = await atEdge({ headers: { authorization: `Bearer ${await token({ plan: 'pro' })}` } });
    expect(answer).toBeUndefined();
    expect(c.user?.requestPrincipal).toBe(`${ISS}/user-1`);
    expect(c.user?.claims).toMatchObject({ sub: 'user-1', plan: 'pro' });
    expect(c.user?.apiKey).toBeNull();
    expect(headers.get('authorization')).toBeNull();
    expect(headers.get('x-user-id')).toBe('user-1');
  });

  it('refuses a JWT that has expired by the pieces’ clock: 401 expired', async () => {
    const jwt = await token();
    const { answer } = await atEdge({ headers: { authorization: `Bearer ${jwt}` } }, T0 + 3_600_000);
    expect(answer).toMatchObject({ status: 401, code: 'expired', message: 'the token has expired' });
    expect(answer?.headers['www-authenticate']).toBe('Bearer realm="weft", error="invalid_token", error_description="the token has expired"');
  });

  it('optional: an anonymous request passes without a user, client claim headers cut', async () => {
    const { answer, c, headers } = await atEdge({ host: 'maybe.example.com', headers: { 'x-user-id': 'forged', x_user_id: 'forged too' } });
    expect(answer).toBeUndefined();
    expect(c.user).toBeUndefined();
    expect(headers.get('x-user-id')).toBeNull();
    expect(headers.get('x_user_id')).toBeNull();
  });

  it('inbound: the Service’s Authentication applies to a request without a user', async () => {
    const f = fixture({ runtime, plane: 'inbound', service: 'default/api', request: { host: 'api.default' } });
    expect(await runAll(f.c, [normalizePathStage, matchMeshRouteStage])).toBeUndefined();
    expect(await authenticateStage(f.c)).toMatchObject({ status: 401, code: 'missing_credentials', headers: { 'www-authenticate': 'ApiKey realm="weft"' } });
  });

  it('inbound: a user already set from a verified edge token passes, synchronously and untouched', async () => {
    const f = fixture({ runtime, plane: 'inbound', service: 'default/api', request: { host: 'api.default', headers: { 'x-api-key': 'not checked' } } });
    expect(await runAll(f.c, [normalizePathStage, matchMeshRouteStage])).toBeUndefined();
    const user = { requestPrincipal: `${ISS}/user-1`, claims: { sub: 'user-1' }, apiKey: null };
    f.c.user = user;
    expect(authenticateStage(f.c)).toBeUndefined();
    expect(f.c.user).toBe(user);
    expect(f.headers.get('x-api-key')).toBe('not checked');
  });
});
