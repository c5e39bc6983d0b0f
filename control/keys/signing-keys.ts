// The control plane's signing keys (snapshots and JWT-SVIDs), from the SIGNING_KEYS secret.
// Rotation with overlap: a key is published as `next` before it signs, `active` signs, and a
// `retiring` key stays published until everything it signed has expired.
import { calculateJwkThumbprint } from 'jose';
import type { JWK } from 'jose';
import { importSigningKey } from '../../core/keys/signing-key.ts';
import type { SigningKey } from '../../core/keys/signing-key.ts';
import { HttpError } from '../http/http-error.ts';
import { memoizeBySecret } from './memoize-by-secret.ts';

export type KeyStatus = 'next' | 'active' | 'retiring';

export interface LoadedSigningKeys {
  active: SigningKey;
  /** Public JWKs of every key (next, active, retiring): the trust bundle. */
  publicJwks: JWK[];
}

const cache = new Map<string, Promise<LoadedSigningKeys>>();

function misconfigured(message: string): HttpError {
  return new HttpError('misconfigured', `SIGNING_KEYS: ${message}`);
}

async function load(secret: string): Promise<LoadedSigningKeys> {
  let entries: unknown;
  try {
    entries = JSON.parse(secret);
  } catch {
    throw misconfigured('not JSON');
  }
  if (!Array.isArray(entries) || entries.length === 0) throw misconfigured('expected a non-empty JSON array of private JWKs');
  const active = entries.filter((e: { status?: string }) => (e.status ?? 'active') === 'active');
  if (active.length !== 1) throw misconfigured(`exactly one key must have status "active", found ${active.length}`);
  // Published with the same kid tokens carry (a key stored without one gets its thumbprint).
  const publicJwks = await Promise.all(
    entries.map(async (e: JWK & { status?: string }) => {
      const { d: _d, status: _s, ...pub } = e;
      return { ...pub, kid: pub.kid ?? (await calculateJwkThumbprint(pub)) };
    }),
  );
  try {
    return { active: await importSigningKey(active[0] as JWK), publicJwks };
  } catch (e) {
    throw misconfigured(`the active key cannot be imported: ${(e as Error).message}`);
  }
}

export function loadSigningKeys(secret: string | undefined): Promise<LoadedSigningKeys> {
  if (!secret) return Promise.reject(misconfigured('secret is not set (wrangler secret put SIGNING_KEYS)'));
  return memoizeBySecret(cache, secret, () => load(secret));
}
