// Dev (and test) secrets for the control plane: a signing key, a CA, and admin tokens (an
// `admin` and a `read` one). Production gets the same shapes through `wrangler secret put`.
import { randomBytes } from 'node:crypto';
import { createCertificateAuthority } from '../../core/identity/x509-ca.ts';
import { generateSigningKeyPair } from '../../core/keys/signing-key.ts';
import { sha256Hex } from '../../core/snapshot/canonical-json.ts';

export interface ControlSecrets {
  SIGNING_KEYS: string;
  CA: string;
  ADMIN_TOKENS: string;
}

export interface DevCredentials {
  secrets: ControlSecrets;
  adminToken: string;
  readToken: string;
  trustDomain: string;
}

export function newAdminToken(): string {
  return `wat_${randomBytes(32).toString('base64url')}`;
}

export async function generateControlSecrets(trustDomain = 'weft.local', caTtlMs = 365 * 24 * 3600 * 1000): Promise<DevCredentials> {
  const signing = await generateSigningKeyPair('ES256');
  const ca = await createCertificateAuthority({ trustDomain, ttlMs: caTtlMs });
  const adminToken = newAdminToken();
  const readToken = newAdminToken();
  return {
    secrets: {
      SIGNING_KEYS: JSON.stringify([{ ...signing.privateJwk, status: 'active' }]),
      CA: JSON.stringify([{ ...ca, status: 'active' }]),
      ADMIN_TOKENS: JSON.stringify([
        { name: 'dev-admin', sha256: await sha256Hex(adminToken), role: 'admin' },
        { name: 'dev-read', sha256: await sha256Hex(readToken), role: 'read' },
      ]),
    },
    adminToken,
    readToken,
    trustDomain,
  };
}
