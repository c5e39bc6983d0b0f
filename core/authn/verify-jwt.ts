// End-user JWT verification for one Authentication JWT provider: signature against the
// provider's inline JWKS or its remote JWKS (through JwksCache), then `iss`, `aud`, `exp`,
// `nbf` with the provider's clock skew. Answers with a code, never throws, so the gateway can
// say why a token was refused (RFC 6750 error_description) and count refusals by cause.
// A token once verified is remembered per provider and key set (see `verifiedTokens`), so a
// client sending the same token on every request pays one signature check, not one each time.
import { createLocalJWKSet, decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose';
import type { JSONWebKeySet, JWTPayload, JWTVerifyOptions, ProtectedHeaderParameters } from 'jose';
import { setBounded } from '../collections/bounded-map.ts';
import type { CompiledJwtProvider } from '../policy/authentication/compile.ts';
import { JWT_ALGORITHMS } from './jwt-algorithms.ts';
import { JwksUnavailableError } from './jwks-cache.ts';
import type { JwksCache } from './jwks-cache.ts';

export type JwtRejectionCode =
  | 'malformed'
  | 'expired'
  | 'not_yet_valid'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'algorithm_not_allowed'
  | 'unknown_key'
  | 'bad_signature'
  | 'jwks_unavailable';

export type JwtVerifyResult =
  | { ok: true; issuer: string; subject: string; claims: JWTPayload }
  | { ok: false; code: JwtRejectionCode; message: string };

export interface VerifyJwtDeps {
  jwks: JwksCache;
  /** Clock in ms since the epoch. */
  now: () => number;
  /** Keeps a background JWKS refresh alive past the response (Workers `ctx.waitUntil`). */
  waitUntil?: (promise: Promise<unknown>) => void;
}

/** Longest token looked at; real ones are a few KiB. */
export const MAX_TOKEN_LENGTH = 16 * 1024;

// The signature part may be empty so that an `alg: none` token is refused as such (algorithm_not_allowed).
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const ASYMMETRIC: ReadonlySet<string> = new Set(JWT_ALGORITHMS);

type KeyResolver = ReturnType<typeof createLocalJWKSet>;
const localSets = new WeakMap<object, KeyResolver>();

/** createLocalJWKSet once per key set object, so imported CryptoKeys are reused across requests. */
function localSet(jwks: JSONWebKeySet): KeyResolver {
  let set = localSets.get(jwks);
  if (!set) {
    set = createLocalJWKSet(jwks);
    localSets.set(jwks, set);
  }
  return set;
}

/** Verified tokens remembered per provider; past this many, the oldest goes. */
export const VERIFIED_TOKENS_REMEMBERED = 1024;

interface Remembered {
  /** The header's kid, to ask the key set for the same key. */
  kid: string | undefined;
  issuer: string;
  subject: string;
  claims: JWTPayload;
  /** `exp`, seconds since the epoch. */
  exp: number;
  /** The key set that verified it: a different one (rotated remote JWKS) means verify again. */
  keys: JSONWebKeySet;
}

/**
 * Tokens that verified, per provider (one compiled provider per snapshot, so a policy change
 * starts afresh). Only good tokens are kept, so junk cannot fill it and a refused token is
 * checked in full every time. A hit still makes every check that depends on the moment: the
 * key set as it is now (a remote JWKS that rotated, or went unavailable past its grace, is
 * honoured exactly as without the memory) and `exp` with the provider's clock skew. Header,
 * algorithm, issuer, audience and signature belong to the token and the provider, both the
 * same as when it was verified.
 */
const verifiedTokens = new WeakMap<CompiledJwtProvider, Map<string, Remembered>>();

/**
 * The answer for a token verified before, when it still holds: the provider's key set is the
 * one that verified it (a remote set is asked for as on a full check, so rotation, refresh and
 * an outage past grace count the same) and `exp` has not passed (jose's rule: expired when
 * exp <= now - tolerance, in whole seconds). Otherwise undefined: check it in full.
 */
async function rememberedResult(token: string, provider: CompiledJwtProvider, deps: VerifyJwtDeps): Promise<JwtVerifyResult | undefined> {
  const remembered = verifiedTokens.get(provider)?.get(token);
  if (!remembered || remembered.exp <= Math.floor(deps.now() / 1000) - Math.max(0, provider.clockSkewMs) / 1000) return undefined;
  let keySet: JSONWebKeySet | undefined;
  try {
    keySet = await currentKeySet(provider, remembered.kid, deps);
  } catch {
    return undefined; // the full check reports it
  }
  if (keySet !== remembered.keys) return undefined;
  return { ok: true, issuer: remembered.issuer, subject: remembered.subject, claims: { ...remembered.claims } };
}

/** The provider's key set as it is now: inline, or its remote JWKS through the cache (which may throw); undefined when it has neither. */
async function currentKeySet(provider: CompiledJwtProvider, kid: string | undefined, deps: VerifyJwtDeps): Promise<JSONWebKeySet | undefined> {
  if (provider.jwks) return provider.jwks as JSONWebKeySet;
  if (!provider.jwksUri) return undefined;
  return deps.jwks.get(provider.jwksUri, { ...(kid !== undefined ? { kid } : {}), ...(deps.waitUntil ? { waitUntil: deps.waitUntil } : {}) });
}

function remember(provider: CompiledJwtProvider, token: string, entry: Remembered): void {
  let tokens = verifiedTokens.get(provider);
  if (!tokens) verifiedTokens.set(provider, (tokens = new Map()));
  setBounded(tokens, token, entry, VERIFIED_TOKENS_REMEMBERED);
}

function fail(code: JwtRejectionCode, message: string): JwtVerifyResult {
  return { ok: false, code, message };
}

/**
 * unverifiedIssuer's answers for the last tokens seen (a pure function of the token). Anyone
 * can fill it with junk, so it is small in both ways: at most ISSUERS_REMEMBERED tokens of at
 * most ISSUER_TOKEN_BYTES characters (2 MB at worst); longer tokens are decoded every time.
 */
const issuers = new Map<string, string | null>();
const ISSUERS_REMEMBERED = 512;
const ISSUER_TOKEN_BYTES = 4096;

/** The unverified `iss` of a compact JWT, or null when there is none (used only to pick a provider). */
export function unverifiedIssuer(token: string): string | null {
  if (token.length > ISSUER_TOKEN_BYTES) return decodeIssuer(token);
  const known = issuers.get(token);
  if (known !== undefined) return known;
  const iss = decodeIssuer(token);
  setBounded(issuers, token, iss, ISSUERS_REMEMBERED);
  return iss;
}

function decodeIssuer(token: string): string | null {
  if (token.length > MAX_TOKEN_LENGTH || !COMPACT_JWS.test(token)) return null;
  try {
    const part = token.split('.')[1] as string;
    const b64 = part.replace(/-/g, '+').replace(/_/g, '/');
    const binary = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
    const payload: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes));
    if (typeof payload !== 'object' || payload === null) return null;
    const iss = (payload as { iss?: unknown }).iss;
    return typeof iss === 'string' ? iss : null;
  } catch {
    return null;
  }
}

/** True when the string has the shape of a compact JWS (three base64url parts). */
export function looksLikeJwt(token: string): boolean {
  return token.length <= MAX_TOKEN_LENGTH && COMPACT_JWS.test(token);
}

export async function verifyJwt(token: string, provider: CompiledJwtProvider, deps: VerifyJwtDeps): Promise<JwtVerifyResult> {
  if (typeof token !== 'string' || !looksLikeJwt(token)) return fail('malformed', 'the token is not a compact JWT (header.payload.signature)');
  const known = await rememberedResult(token, provider, deps);
  if (known) return known;
  let header: ProtectedHeaderParameters;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    return fail('malformed', 'the token header is not base64url-encoded JSON');
  }
  // Never `none` or HMAC, whatever the provider lists (the schema already refuses them).
  const algorithms = provider.algorithms.filter((a) => ASYMMETRIC.has(a));
  if (typeof header.alg !== 'string' || !algorithms.includes(header.alg))
    return fail('algorithm_not_allowed', `the token algorithm ${JSON.stringify(header.alg ?? null)} is not accepted (accepted: ${algorithms.join(', ') || 'none'})`);
  if (header.kid !== undefined && typeof header.kid !== 'string') return fail('malformed', 'the token header kid is not a string');

  let keys: KeyResolver;
  let keySet: JSONWebKeySet | undefined;
  try {
    keySet = await currentKeySet(provider, header.kid, deps);
    if (!keySet) return fail('unknown_key', `provider ${provider.name} has neither jwks nor jwksUri`);
    keys = localSet(keySet);
  } catch (e) {
    if (e instanceof JwksUnavailableError) return fail('jwks_unavailable', `the signing keys of ${provider.issuer} are unavailable: ${e.message}`);
    return fail('unknown_key', `the key set of provider ${provider.name} is not usable: ${(e as Error).message}`);
  }

  const options: JWTVerifyOptions = {
    issuer: provider.issuer,
    algorithms,
    requiredClaims: ['exp', 'sub'],
    currentDate: new Date(deps.now()),
    clockTolerance: Math.max(0, provider.clockSkewMs) / 1000,
    ...(provider.audiences.length > 0 ? { audience: provider.audiences } : {}),
  };
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, keys, options));
  } catch (e) {
    if (!(e instanceof joseErrors.JWKSMultipleMatchingKeys)) return rejection(e, header.kid, provider);
    // Several keys fit (no kid, or a repeated kid): the token is good if one of them verifies it.
    const found = await verifyWithAny(token, e, options);
    if (!found.ok) return rejection(found.error, header.kid, provider);
    payload = found.payload;
  }
  if (typeof payload.sub !== 'string' || payload.sub === '') return fail('malformed', 'the token sub claim is not a non-empty string');
  remember(provider, token, { kid: header.kid, issuer: provider.issuer, subject: payload.sub, claims: payload, exp: payload.exp as number, keys: keySet });
  return { ok: true, issuer: provider.issuer, subject: payload.sub, claims: { ...payload } };
}

async function verifyWithAny(
  token: string,
  candidates: joseErrors.JWKSMultipleMatchingKeys,
  options: JWTVerifyOptions,
): Promise<{ ok: true; payload: JWTPayload } | { ok: false; error: unknown }> {
  let last: unknown = new joseErrors.JWSSignatureVerificationFailed();
  for await (const key of candidates) {
    try {
      return { ok: true, payload: (await jwtVerify(token, key, options)).payload };
    } catch (e) {
      if (!(e instanceof joseErrors.JWSSignatureVerificationFailed)) return { ok: false, error: e };
      last = e;
    }
  }
  return { ok: false, error: last };
}

function rejection(e: unknown, kid: string | undefined, provider: CompiledJwtProvider): JwtVerifyResult {
  const keyName = kid === undefined ? 'no kid' : `kid ${JSON.stringify(kid)}`;
  if (e instanceof joseErrors.JOSEAlgNotAllowed || e instanceof joseErrors.JOSENotSupported)
    return fail('algorithm_not_allowed', `the token algorithm is not accepted (accepted: ${provider.algorithms.join(', ')})`);
  if (e instanceof joseErrors.JWKSNoMatchingKey) return fail('unknown_key', `no key of ${provider.issuer} matches the token (${keyName})`);
  if (e instanceof joseErrors.JWKSInvalid || e instanceof joseErrors.JWKInvalid) return fail('unknown_key', `the key for the token (${keyName}) is not a usable public key`);
  if (e instanceof joseErrors.JWSSignatureVerificationFailed) return fail('bad_signature', 'the token signature does not verify (tampered, or signed by another key)');
  if (e instanceof joseErrors.JWTExpired) return fail('expired', 'the token has expired');
  if (e instanceof joseErrors.JWTClaimValidationFailed) {
    if (e.claim === 'nbf' && e.reason === 'check_failed') return fail('not_yet_valid', 'the token is not valid yet (nbf is in the future)');
    if (e.claim === 'iss') return fail('wrong_issuer', e.reason === 'missing' ? 'the token has no iss claim' : `the token issuer is not ${provider.issuer}`);
    if (e.claim === 'aud')
      return fail('wrong_audience', e.reason === 'missing' ? 'the token has no aud claim' : `the token audience is not one of ${provider.audiences.join(', ')}`);
    if (e.reason === 'missing') return fail('malformed', `the token has no ${e.claim} claim`);
    return fail('malformed', `the token ${e.claim} claim is invalid`);
  }
  if (e instanceof joseErrors.JWSInvalid || e instanceof joseErrors.JWTInvalid) return fail('malformed', `the token is malformed: ${e.message}`);
  // Key import errors (a JWK the runtime cannot import for this alg) and anything unforeseen.
  if (e instanceof TypeError) return fail('unknown_key', `the key for the token (${keyName}) is not usable: ${e.message}`);
  return fail('malformed', `the token could not be verified: ${(e as Error)?.message ?? String(e)}`);
}
