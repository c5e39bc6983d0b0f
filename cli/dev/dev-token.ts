// A dev end-user JWT signed with the published demo issuer key (examples/demo-issuer/), which
// policies/edge/api.yaml accepts. Never trust that issuer outside a local demo.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SignJWT, importJWK } from 'jose';
import type { JWK } from 'jose';
import { PACKAGE_ROOT } from '../control/local-control.ts';

export const DEMO_API_KEY = 'demo-acme-key';

export async function demoJwt(subject = 'dev-user', plan = 'free', ttlSeconds = 12 * 3600): Promise<string> {
  const jwk = JSON.parse(await readFile(join(PACKAGE_ROOT, 'examples/demo-issuer/private-key.jwk'), 'utf8')) as JWK;
  const key = await importJWK(jwk, 'ES256');
  return new SignJWT({ plan })
    .setProtectedHeader({ alg: 'ES256', typ: 'JWT', ...(jwk.kid ? { kid: jwk.kid } : {}) })
    .setIssuer('https://auth.demo.weft.dev')
    .setAudience('api.example.com')
    .setSubject(subject)
    .setIssuedAt()
    .setExpirationTime(`${ttlSeconds}s`)
    .sign(key);
}
