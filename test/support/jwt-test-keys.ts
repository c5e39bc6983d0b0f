// Test support: an issuer's signing key (ES256 or RS256) with its public JWK, for tests that
// verify real end-user tokens.
import { exportJWK, generateKeyPair } from 'jose';
import type { CryptoKey, JWK } from 'jose';

export interface TestIssuerKey {
  alg: 'ES256' | 'RS256';
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export async function makeIssuerKey(alg: 'ES256' | 'RS256', kid: string): Promise<TestIssuerKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { alg, kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}
