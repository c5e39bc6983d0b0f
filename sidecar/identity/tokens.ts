// What the identity units share about a short-lived token: its life (from its `iat` when it
// is a JWT we can read, else from when we got it) and when it is too close to expiry to use.
import { decodeJwt } from 'jose';
import type { CachedToken } from '../../core/identity/token-cache.ts';

export type { CachedToken } from '../../core/identity/token-cache.ts';

/** A token at least this close to its expiry is not used. */
export const EXPIRY_MARGIN_MS = 1_000;

/** `token`, expiring at `expiresAt` (ISO or ms), with its issue time. */
export function cachedToken(token: string, expiresAt: string | number, now: number): CachedToken {
  const exp = typeof expiresAt === 'number' ? expiresAt : Date.parse(expiresAt);
  let issuedAt = now;
  try {
    const iat = decodeJwt(token).iat;
    if (typeof iat === 'number') issuedAt = iat * 1000;
  } catch {
    // not a JWT we can read: count its life from now
  }
  return { token, issuedAt: Math.min(issuedAt, exp), expiresAt: exp };
}

/** Whether `t` may still be sent (more than the margin left). */
export function usable(t: CachedToken | undefined, now: number): t is CachedToken {
  return t !== undefined && t.expiresAt - now > EXPIRY_MARGIN_MS;
}

/** Half-way through `t`'s life: when it is due for renewal. */
export function halfLife(t: { issuedAt: number; expiresAt: number }): number {
  return t.issuedAt + (t.expiresAt - t.issuedAt) / 2;
}
