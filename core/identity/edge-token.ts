// The edge token: after the gateway authenticates an end user, it forwards who that user is to
// the destination service as a short-lived JWT signed with the gateway's own key (which control
// certifies and publishes in the trust bundle). Sidecars verify it offline; apps never have to
// trust plain identity headers from outside.
import { jwtVerify, SignJWT, createLocalJWKSet, errors as joseErrors } from 'jose';
import type { JSONWebKeySet } from 'jose';
import type { SigningKey } from '../keys/signing-key.ts';
import { SIGNING_ALGORITHMS } from '../keys/signing-key.ts';

export const EDGE_TOKEN_TYPE = 'weft-edge+jwt';
export const EDGE_TOKEN_HEADER = 'x-weft-edge-token';
export const DEFAULT_EDGE_TOKEN_TTL_MS = 60_000;

export interface EdgeUser {
  /** `iss/sub` for a JWT user, `apikey/<name>` for an API key. */
  requestPrincipal: string;
  /** The claims the route chose to forward. */
  claims: Record<string, unknown>;
}

export async function mintEdgeToken(args: { gatewayId: string; audience: string; user: EdgeUser; key: SigningKey; ttlMs?: number; now?: number }): Promise<string> {
  const now = Math.floor((args.now ?? Date.now()) / 1000);
  return new SignJWT({ weft: { claims: args.user.claims } })
    .setProtectedHeader({ alg: args.key.alg, kid: args.key.kid, typ: EDGE_TOKEN_TYPE })
    .setIssuer(args.gatewayId)
    .setAudience(args.audience)
    .setSubject(args.user.requestPrincipal)
    .setIssuedAt(now)
    .setExpirationTime(now + Math.ceil((args.ttlMs ?? DEFAULT_EDGE_TOKEN_TTL_MS) / 1000))
    .setJti(crypto.randomUUID())
    .sign(args.key.privateKey);
}

export type EdgeTokenResult =
  | { ok: true; user: EdgeUser; expiresAt: number }
  | { ok: false; code: 'malformed' | 'expired' | 'wrong_issuer' | 'wrong_audience' | 'unknown_key' | 'bad_signature' | 'wrong_type'; message: string };

/** Verifies an edge token for `audience` (the receiving service's SPIFFE ID). */
export async function verifyEdgeToken(token: string, options: { edgeKeys: JSONWebKeySet; gatewayId: string; audience: string; now?: number; clockSkewMs?: number }): Promise<EdgeTokenResult> {
  try {
    const { payload } = await jwtVerify(token, createLocalJWKSet(options.edgeKeys), {
      algorithms: [...SIGNING_ALGORITHMS],
      typ: EDGE_TOKEN_TYPE,
      issuer: options.gatewayId,
      audience: options.audience,
      requiredClaims: ['sub', 'exp', 'iat'],
      clockTolerance: Math.round((options.clockSkewMs ?? 5_000) / 1000),
      ...(options.now !== undefined ? { currentDate: new Date(options.now) } : {}),
    });
    const claims = (payload.weft as { claims?: Record<string, unknown> } | undefined)?.claims ?? {};
    return { ok: true, user: { requestPrincipal: payload.sub as string, claims }, expiresAt: (payload.exp as number) * 1000 };
  } catch (e) {
    if (e instanceof joseErrors.JWTExpired) return { ok: false, code: 'expired', message: 'edge token expired' };
    if (e instanceof joseErrors.JWTClaimValidationFailed) {
      if (e.claim === 'iss') return { ok: false, code: 'wrong_issuer', message: `edge token not issued by ${options.gatewayId}` };
      if (e.claim === 'aud') return { ok: false, code: 'wrong_audience', message: `edge token is not for ${options.audience}` };
      if (e.claim === 'typ') return { ok: false, code: 'wrong_type', message: `token typ is not ${EDGE_TOKEN_TYPE}` };
      return { ok: false, code: 'malformed', message: `edge token claim ${e.claim}: ${e.message}` };
    }
    if (e instanceof joseErrors.JWKSNoMatchingKey) return { ok: false, code: 'unknown_key', message: 'edge token signed by a key that is not certified in the trust bundle' };
    if (e instanceof joseErrors.JWSSignatureVerificationFailed) return { ok: false, code: 'bad_signature', message: 'edge token signature does not verify' };
    return { ok: false, code: 'malformed', message: `edge token refused: ${(e as Error).message}` };
  }
}
