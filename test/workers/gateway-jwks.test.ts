// An issuer's JWKS outage at the edge: tokens keep being accepted from the cached keys while
// the issuer is down (stale-while-revalidate within the grace period). JWKS_TTL_SECONDS is 3
// in the test config (room for the first two requests on a slow machine), and the outage
// outlasts it.
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { CryptoKey } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { apiService, gw, PORTS, pushPolicy, route, upstream } from './gateway-support.ts';

const ISSUER = 'https://issuer.test.example';
let key: CryptoKey;

const token = () => new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid: 'j1' }).setIssuer(ISSUER).setSubject('bob').setExpirationTime('5m').sign(key);

beforeAll(async () => {
  const pair = await generateKeyPair('ES256');
  key = pair.privateKey;
  await upstream('mirror', '/__reset');
  await fetch(`http://127.0.0.1:${PORTS.mirror}/__jwks`, { method: 'POST', body: JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'j1', alg: 'ES256' }] }) });
  await pushPolicy(
    apiService(),
    route('jwks', 'jwks.example.com', '    - backends: [{ service: api, subset: stable }]'),
    [
      'apiVersion: weft/v1',
      'kind: Authentication',
      'metadata: { name: jwks }',
      'spec:',
      '  targetRefs: [{ kind: Route, name: jwks }]',
      '  jwt:',
      '    - name: remote',
      `      issuer: ${ISSUER}`,
      `      jwksUri: http://127.0.0.1:${PORTS.mirror}/jwks.json`,
      '      algorithms: [ES256]',
    ].join('\n'),
  );
});

describe('remote JWKS', () => {
  it('fetches the issuer keys once, and keeps accepting tokens while the issuer is down', async () => {
    const auth = async () => ({ authorization: `Bearer ${await token()}` });
    expect((await gw('https://jwks.example.com/a', { headers: await auth() })).status).toBe(200);
    expect((await gw('https://jwks.example.com/b', { headers: await auth() })).status).toBe(200);
    expect(((await upstream('mirror', '/__hits')) as Record<string, number>)['/jwks.json']).toBe(1);

    await upstream('mirror', '/__down');
    await new Promise((r) => setTimeout(r, 3200)); // past the fresh period: a refresh is due, and fails
    for (let i = 0; i < 3; i++) expect((await gw('https://jwks.example.com/c', { headers: await auth() })).status).toBe(200);
    expect(((await upstream('mirror', '/__hits')) as Record<string, number>)['/jwks.json']).toBeGreaterThan(1);
    await upstream('mirror', '/__up');
  });
});
