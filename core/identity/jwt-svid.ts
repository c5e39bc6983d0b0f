// JWT-SVIDs (https://github.com/spiffe/spiffe/blob/main/standards/JWT-SVID.md): short-lived,
// audience-bound identity tokens. Control mints them with a trust-bundle key (ES256 or EdDSA,
// always with a `kid`); a callee verifies them offline against the bundle's JWKS. Verification
// answers with a code, never throws, so a data plane can report why a token was refused.
import { SignJWT, createLocalJWKSet, decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose';
import type { JSONWebKeySet, JWTPayload, ProtectedHeaderParameters } from 'jose';
import { SIGNING_ALGORITHMS } from '../keys/signing-key.ts';
import type { SigningKey } from '../keys/signing-key.ts';
import { checkSpiffeId } from './spiffe-id.ts';

/** The header a workload's JWT-SVID travels in, caller to callee (gateway and sidecars alike). */
export const SVID_HEADER = 'x-weft-svid';

export interface MintJwtSvidOptions {
  spiffeId: string;
  audience: string[];
  ttlMs: number;
  key: SigningKey;
  /** Clock in ms since the epoch; defaults to Date.now(). */
  now?: number;
}

export async function mintJwtSvid(options: MintJwtSvidOptions): Promise<{ token: string; expiresAt: number }> {
  const { spiffeId, audience, ttlMs, key } = options;
  const checked = checkSpiffeId(spiffeId);
  if (!checked.ok) throw new TypeError(`cannot mint a JWT-SVID for "${spiffeId}": ${checked.reason}`);
  if (checked.id.path === '') throw new TypeError(`cannot mint a JWT-SVID for "${spiffeId}": a trust domain ID names no workload`);
  if (!Array.isArray(audience) || audience.length === 0 || audience.some((a) => typeof a !== 'string' || a === ''))
    throw new TypeError('a JWT-SVID needs at least one audience, each a non-empty string');
  if (!Number.isFinite(ttlMs) || ttlMs < 1000) throw new RangeError(`JWT-SVID lifetime must be at least 1000 ms, got ${ttlMs}`);
  const now = options.now ?? Date.now();
  const iat = Math.floor(now / 1000);
  const exp = Math.floor((now + ttlMs) / 1000);
  const token = await new SignJWT({})
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
    .setSubject(spiffeId)
    .setAudience([...audience])
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .setJti(crypto.randomUUID())
    .sign(key.privateKey);
  return { token, expiresAt: exp * 1000 };
}

export type JwtSvidRejection =
  | 'malformed'
  | 'algorithm_not_allowed'
  | 'unknown_key'
  | 'bad_signature'
  /** Past `exp`, or before `nbf`: outside the token's validity window. */
  | 'expired'
  | 'wrong_audience'
  | 'bad_subject'
  | 'wrong_trust_domain';

export type JwtSvidVerifyResult =
  | { ok: true; spiffeId: string; expiresAt: number; claims: JWTPayload }
  | { ok: false; code: JwtSvidRejection; message: string };

export interface VerifyJwtSvidOptions {
  trustBundle: JSONWebKeySet;
  /** The verifier's own identity: the token's `aud` must contain it. */
  audience: string;
  /** When set, the subject must be in this trust domain. */
  trustDomain?: string;
  now?: number;
  /** Tolerance for `exp`/`nbf` against the clock; default 0. */
  clockSkewMs?: number;
}

function fail(code: JwtSvidRejection, message: string): JwtSvidVerifyResult {
  return { ok: false, code, message };
}

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

export async function verifyJwtSvid(token: string, options: VerifyJwtSvidOptions): Promise<JwtSvidVerifyResult> {
  if (typeof token !== 'string' || !COMPACT_JWS.test(token)) return fail('malformed', 'JWT-SVID is not a compact JWS (header.payload.signature)');
  let header: ProtectedHeaderParameters;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    return fail('malformed', 'JWT-SVID header is not base64url JSON');
  }
  if (!(SIGNING_ALGORITHMS as readonly unknown[]).includes(header.alg))
    return fail('algorithm_not_allowed', `JWT-SVID algorithm ${JSON.stringify(header.alg ?? null)} is not allowed (accepted: ${SIGNING_ALGORITHMS.join(', ')})`);
  if (typeof header.kid !== 'string' || header.kid === '') return fail('malformed', 'JWT-SVID header has no kid (the JWT-SVID spec requires one)');
  if (header.typ !== undefined && header.typ !== 'JWT' && header.typ !== 'JOSE') return fail('malformed', `JWT-SVID typ must be "JWT" or "JOSE", got ${JSON.stringify(header.typ)}`);

  let keys: ReturnType<typeof createLocalJWKSet>;
  try {
    keys = createLocalJWKSet(options.trustBundle);
  } catch (e) {
    return fail('unknown_key', `trust bundle is not a usable JWKS: ${(e as Error).message}`);
  }
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, keys, {
      algorithms: [...SIGNING_ALGORITHMS],
      audience: options.audience,
      requiredClaims: ['exp', 'sub'],
      currentDate: new Date(options.now ?? Date.now()),
      clockTolerance: (options.clockSkewMs ?? 0) / 1000,
    }));
  } catch (e) {
    return rejection(e, header.kid, options.audience);
  }

  const sub = payload.sub as string;
  const subject = checkSpiffeId(sub);
  if (!subject.ok) return fail('bad_subject', `JWT-SVID subject ${JSON.stringify(sub)} is not a SPIFFE ID: ${subject.reason}`);
  if (subject.id.path === '') return fail('bad_subject', `JWT-SVID subject ${sub} is a trust domain, not a workload`);
  if (options.trustDomain !== undefined && subject.id.trustDomain !== options.trustDomain)
    return fail('wrong_trust_domain', `JWT-SVID subject ${sub} is not in trust domain ${options.trustDomain}`);
  return { ok: true, spiffeId: sub, expiresAt: (payload.exp as number) * 1000, claims: payload };
}

function rejection(e: unknown, kid: string, audience: string): JwtSvidVerifyResult {
  if (e instanceof joseErrors.JOSEAlgNotAllowed || e instanceof joseErrors.JOSENotSupported)
    return fail('algorithm_not_allowed', `JWT-SVID algorithm is not allowed (accepted: ${SIGNING_ALGORITHMS.join(', ')})`);
  if (e instanceof joseErrors.JWKSNoMatchingKey) return fail('unknown_key', `JWT-SVID key ${kid} is not in the trust bundle`);
  if (e instanceof joseErrors.JWKSMultipleMatchingKeys) return fail('unknown_key', `more than one trust bundle key has kid ${kid}`);
  if (e instanceof joseErrors.JWSSignatureVerificationFailed) return fail('bad_signature', 'JWT-SVID signature does not verify (tampered, or signed by another key)');
  if (e instanceof joseErrors.JWTExpired) return fail('expired', `JWT-SVID expired (${e.message})`);
  if (e instanceof joseErrors.JWTClaimValidationFailed) {
    if (e.claim === 'aud') return fail('wrong_audience', e.reason === 'missing' ? 'JWT-SVID has no aud claim' : `JWT-SVID audience does not include ${audience}`);
    if (e.claim === 'sub') return fail('bad_subject', 'JWT-SVID has no sub claim');
    if (e.claim === 'nbf' && e.reason === 'check_failed') return fail('expired', 'JWT-SVID is not valid yet (nbf is in the future)');
    return fail('malformed', `JWT-SVID claims are invalid: ${e.message}`);
  }
  return fail('malformed', `JWT-SVID could not be verified: ${(e as Error).message}`);
}
