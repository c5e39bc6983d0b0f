// End-user authentication in the mesh, as real processes: an Authentication that targets a
// mesh Service is enforced by that service's sidecar inbound (core's authenticate stage, the
// gateway's code and error codes). The sidecar runs as `sidecar/main.ts` beside a real app,
// against the real control Worker; the app's calls go out through its outbound listener and
// come back in through the inbound, as any caller's would.
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicPolicy, startControl } from '../support/control-harness.ts';
import type { ControlHarness } from '../support/control-harness.ts';
import { makeIssuerKey } from '../support/jwt-test-keys.ts';
import type { TestIssuerKey } from '../support/jwt-test-keys.ts';
import { startUpstream } from '../support/upstream-server.ts';
import type { UpstreamServer } from '../support/upstream-server.ts';
import { readySidecar, stopProcess, until } from './process-support.ts';
import type { RunningSidecar } from './process-support.ts';

const ISSUER = 'https://issuer.mesh.test';
let control: ControlHarness;
let app: UpstreamServer;
let sidecar: RunningSidecar;
let issuer: TestIssuerKey;
let forger: TestIssuerKey;
const dir = mkdtempSync(join(tmpdir(), 'weft-mesh-authn-'));

function authentication(jwk: object): string {
  return `apiVersion: weft/v1
kind: Authentication
metadata: { name: reviews-users }
spec:
  targetRefs: [{ kind: Service, name: reviews }]
  mode: required
  jwt:
    - name: mesh-issuer
      issuer: ${ISSUER}
      audiences: [reviews]
      algorithms: [ES256]
      jwks: { keys: [${JSON.stringify(jwk)}] }
      forwardClaims: [{ claim: sub, header: x-user-id }]
`;
}

function token(key: TestIssuerKey, sub: string): Promise<string> {
  return new SignJWT({ sub }).setProtectedHeader({ alg: 'ES256', kid: key.kid }).setIssuer(ISSUER).setAudience('reviews').setIssuedAt().setExpirationTime('5m').sign(key.privateKey);
}

/** A GET through the sidecar's outbound listener, as the app makes it (`Host: reviews`). */
function call(headers: Record<string, string> = {}): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: sidecar.ports.outbound, path: '/reviews/1', headers: { host: 'reviews', ...headers }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(body) as Record<string, unknown> }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  issuer = await makeIssuerKey('ES256', 'mesh-key-1');
  forger = await makeIssuerKey('ES256', 'mesh-key-1'); // same kid, another key: a forgery
  control = await startControl();
  await control.push({ ...basicPolicy(), 'authn.yaml': authentication(issuer.publicJwk) });
  app = await startUpstream('reviews');
  sidecar = await readySidecar([process.execPath, 'sidecar/main.ts'], {
    service: 'reviews',
    'app-port': String(app.port),
    control: control.url,
    'join-token': await control.joinToken('reviews'),
    'state-dir': dir,
    'instance-id': 'reviews-authn-1',
  });
  await until('the sidecar sees its own endpoint', async () => {
    const res = await fetch(`http://127.0.0.1:${sidecar.ports.admin}/endpoints`);
    const doc = (await res.json()) as { services: { service: string; instances: { instanceId: string }[] }[] };
    return doc.services.some((s) => s.service === 'default/reviews' && s.instances.some((i) => i.instanceId === 'reviews-authn-1')) || undefined;
  });
}, 90_000);

afterAll(async () => {
  if (sidecar) await stopProcess(sidecar.child);
  await app?.close();
  await control?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('Authentication on a mesh Service, enforced by its sidecar inbound', () => {
  it('refuses a request without a token: 401 missing_credentials', async () => {
    const r = await call();
    expect(r.status).toBe(401);
    expect(r.json).toMatchObject({ error: { code: 'missing_credentials' } });
  });

  it('refuses a forged token (right kid and issuer, wrong key): 401 bad_signature', async () => {
    const r = await call({ authorization: `Bearer ${await token(forger, 'mallory')}` });
    expect(r.status).toBe(401);
    expect(r.json).toMatchObject({ error: { code: 'bad_signature' } });
  });

  it('lets a valid token through: the app sees the user and its forwarded claim, never the token', async () => {
    const r = await call({ authorization: `Bearer ${await token(issuer, 'alice')}`, 'x-user-id': 'forged-by-client' });
    expect(r.status).toBe(200);
    const headers = r.json.headers as Record<string, string>;
    expect(headers['x-weft-principal']).toBe(`${ISSUER}/alice`);
    expect(headers['x-user-id']).toBe('alice');
    expect(headers.authorization).toBeUndefined();
  });
});
