// Snapshot signing keys: ES256 or EdDSA key pairs as JWKs, `kid` = RFC 7638 thumbprint, so
// the same key always has the same id and a trust bundle is a plain JWKS.
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK } from 'jose';
import type { CryptoKey, JWK } from 'jose';

export const SIGNING_ALGORITHMS = ['ES256', 'EdDSA'] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

export interface SigningKey {
  kid: string;
  alg: SigningAlgorithm;
  privateKey: CryptoKey;
}

export interface GeneratedKeyPair {
  privateJwk: JWK;
  publicJwk: JWK;
}

export async function generateSigningKeyPair(alg: SigningAlgorithm = 'ES256'): Promise<GeneratedKeyPair> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const privateJwk = await exportJWK(privateKey);
  return { privateJwk: { ...privateJwk, kid, alg, use: 'sig' }, publicJwk: { ...publicJwk, kid, alg, use: 'sig' } };
}

/** Imports a private JWK written by generateSigningKeyPair (`weft keys generate`). */
export async function importSigningKey(jwk: JWK): Promise<SigningKey> {
  const alg = jwk.alg as SigningAlgorithm | undefined;
  if (alg !== 'ES256' && alg !== 'EdDSA') throw new Error(`signing key must be ES256 or EdDSA, got ${alg ?? 'no alg'}`);
  if (!jwk.d) throw new Error('signing key has no private part (field d)');
  const { d: _d, ...pub } = jwk;
  const kid = jwk.kid ?? (await calculateJwkThumbprint(pub));
  return { kid, alg, privateKey: (await importJWK(jwk, alg)) as CryptoKey };
}
