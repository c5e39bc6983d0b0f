// End-user authentication for one target (the gateway's stage 4; sidecars reuse it): find the
// credentials the Authentication names, verify them, and say who the caller is and which
// headers to strip and set upstream. Pure apart from the JWKS cache.
//
// Rules:
//  - No credential at all: `required` → rejected (401, `WWW-Authenticate: Bearer realm="weft"`);
//    `optional` → anonymous. A header without the configured prefix (e.g. `Authorization:
//    Basic …` where `Bearer ` is expected) is not a credential for us.
//  - Every credential presented must be valid, in both modes: one bad credential → rejected
//    (RFC 6750 `error="invalid_token"`), even if another one is good.
//  - A JWT goes to the provider (among those reading that source) whose `issuer` equals the
//    token's unverified `iss`; no such provider → rejected (wrong_issuer).
//  - With JWT providers and API keys both configured, either may authenticate; when both are
//    presented and valid, the JWT (the end user) is the principal.
//  - Headers named by any provider's forwardClaims are always removed (the client's copies
//    cannot be trusted), then the verified claims are set. The token header is removed unless
//    the provider sets forwardOriginalToken; an API key header always is. A token taken from a
//    cookie is cut out of the Cookie header (set again without it, or removed if it was the only
//    one). A token in the query string cannot be removed here (the adapter owns the URL).
// Adapters apply `removeHeaders` first, then `setHeaders`.
import type { CompiledAuthentication, CompiledJwtProvider, TokenSource } from '../policy/authentication/compile.ts';
import { verifyApiKey } from './api-key.ts';
import { claimHeaderValue, resolveClaim } from './claims.ts';
import type { JwksCache } from './jwks-cache.ts';
import { looksLikeJwt, unverifiedIssuer, verifyJwt } from './verify-jwt.ts';
import type { JwtRejectionCode } from './verify-jwt.ts';

export interface AuthnRequest {
  headers: { get(name: string): string | null };
  query: { get(name: string): string | null };
}

export interface AuthnDeps {
  jwks: JwksCache;
  /** Clock in ms since the epoch. */
  now: () => number;
  /** Keeps a background JWKS refresh alive past the response (Workers `ctx.waitUntil`). */
  waitUntil?: (promise: Promise<unknown>) => void;
}

export type AuthnPrincipal =
  | { kind: 'jwt'; provider: string; issuer: string; subject: string; requestPrincipal: string; claims: Record<string, unknown> }
  | { kind: 'api-key'; name: string; requestPrincipal: string; claims: Record<string, string> };

export type AuthnRejectionCode = 'missing_credentials' | 'invalid_api_key' | JwtRejectionCode;

export type AuthnResult =
  | {
      status: 'authenticated';
      principal: AuthnPrincipal;
      /** The API key presented and verified, even when a JWT is the principal (per-key limits count it). */
      apiKeyName: string | null;
      /** Forwarded claims (lower-case names), and `cookie` when a token cookie was cut out. */
      setHeaders: Record<string, string>;
      /** Lower-case names; applied before setHeaders. */
      removeHeaders: string[];
    }
  | { status: 'anonymous'; removeHeaders: string[] }
  | {
      status: 'rejected';
      code: AuthnRejectionCode;
      message: string;
      wwwAuthenticate: string;
      /** 401, or 503 when the issuer's keys cannot be fetched (the token may well be good). */
      httpStatus: 401 | 503;
    };

const REALM = 'weft';

/** Reads a token from one source; null when absent or empty. */
export function readToken(source: TokenSource, request: AuthnRequest): string | null {
  if ('header' in source) {
    const value = request.headers.get(source.header);
    if (value === null) return null;
    const prefix = source.prefix;
    if (prefix !== '') {
      // Auth schemes are case-insensitive (RFC 9110 §11.1): `bearer x` is `Bearer x`.
      if (value.length < prefix.length || value.slice(0, prefix.length).toLowerCase() !== prefix.toLowerCase()) return null;
      return nonEmpty(value.slice(prefix.length).trim());
    }
    return nonEmpty(value.trim());
  }
  if ('query' in source) return nonEmpty(request.query.get(source.query));
  return nonEmpty(readCookie(request.headers.get('cookie'), source.cookie));
}

function nonEmpty(s: string | null): string | null {
  return s === null || s === '' ? null : s;
}

function cookiePairs(header: string): { name: string; value: string; raw: string }[] {
  const out: { name: string; value: string; raw: string }[] = [];
  for (const part of header.split(';')) {
    const raw = part.trim();
    if (raw === '') continue;
    const eq = raw.indexOf('=');
    const name = (eq < 0 ? '' : raw.slice(0, eq)).trim();
    let value = (eq < 0 ? raw : raw.slice(eq + 1)).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    out.push({ name, value, raw });
  }
  return out;
}

/** The first cookie called `name` in a Cookie header. */
export function readCookie(header: string | null, name: string): string | null {
  if (header === null) return null;
  return cookiePairs(header).find((c) => c.name === name)?.value ?? null;
}

interface JwtCredential {
  token: string;
  /** Providers whose first non-empty source yielded this token, with that source. */
  readers: { provider: CompiledJwtProvider; source: TokenSource }[];
}

/** What an Authentication's JWT providers forward: the claims, and the headers they go in. */
export interface ForwardedClaims {
  claims: readonly string[];
  headers: readonly string[];
}

const forwardedOf = new WeakMap<CompiledAuthentication, ForwardedClaims>();

/** ForwardedClaims of a compiled policy, worked out once per snapshot, not per request. */
export function forwardedClaims(auth: CompiledAuthentication): ForwardedClaims {
  let forwarded = forwardedOf.get(auth);
  if (!forwarded) {
    const all = auth.jwt.flatMap((p) => p.forwardClaims);
    forwardedOf.set(auth, (forwarded = { claims: all.map((f) => f.claim), headers: unique(all.map((f) => f.header)) }));
  }
  return forwarded;
}

/** A user's values of the claims an Authentication forwards (nested names resolved), for the edge token. */
export function forwardedClaimValues(auth: CompiledAuthentication | undefined, userClaims: Record<string, unknown>): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  if (!auth) return values;
  for (const name of forwardedClaims(auth).claims) {
    const value = resolveClaim(userClaims, name);
    if (value !== undefined) values[name] = value;
  }
  return values;
}

export async function authenticate(auth: CompiledAuthentication, request: AuthnRequest, deps: AuthnDeps): Promise<AuthnResult> {
  const claimHeaders = forwardedClaims(auth).headers;

  // Credentials: for each provider the first of its sources that holds a token, grouped by token.
  const jwtCredentials: JwtCredential[] = [];
  for (const provider of auth.jwt) {
    for (const source of provider.from) {
      const token = readToken(source, request);
      if (token === null) continue;
      let credential = jwtCredentials.find((c) => c.token === token);
      if (!credential) jwtCredentials.push((credential = { token, readers: [] }));
      credential.readers.push({ provider, source });
      break;
    }
  }
  let apiKey = auth.apiKeys ? readToken(auth.apiKeys.from, request) : null;
  let apiKeyResult: Awaited<ReturnType<typeof verifyApiKey>> | null = null;

  // One string read by both a JWT provider and the API keys (same header): it is whichever it proves to be.
  if (apiKey !== null && auth.apiKeys) {
    const shared = jwtCredentials.findIndex((c) => c.token === apiKey);
    if (shared >= 0) {
      apiKeyResult = await verifyApiKey(apiKey, auth.apiKeys.keys);
      if (apiKeyResult.ok || !looksLikeJwt(apiKey)) jwtCredentials.splice(shared, 1);
      else apiKey = null;
    }
  }

  if (jwtCredentials.length === 0 && apiKey === null) {
    if (auth.mode === 'optional') return { status: 'anonymous', removeHeaders: [...claimHeaders] };
    return {
      status: 'rejected',
      code: 'missing_credentials',
      message: `authentication required: send ${describeCredentials(auth)}`,
      wwwAuthenticate: challenge(auth),
      httpStatus: 401,
    };
  }

  const removeHeaders = [...claimHeaders];
  const cookiesToCut: string[] = [];
  const dropSource = (source: TokenSource) => {
    if ('header' in source) removeHeaders.push(source.header);
    else if ('cookie' in source) cookiesToCut.push(source.cookie);
  };

  let principal: AuthnPrincipal | null = null;
  const setHeaders: Record<string, string> = {};
  for (const credential of jwtCredentials) {
    const iss = unverifiedIssuer(credential.token);
    if (iss === null) return invalid(auth, 'malformed', looksLikeJwt(credential.token) ? 'the token has no iss claim' : 'the token is not a compact JWT (header.payload.signature)');
    const reader = credential.readers.find((r) => r.provider.issuer === iss);
    if (!reader) return invalid(auth, 'wrong_issuer', `tokens from issuer ${printable(iss)} are not accepted here`);
    const verified = await verifyJwt(credential.token, reader.provider, deps);
    if (!verified.ok) return invalid(auth, verified.code, verified.message);
    for (const r of credential.readers) if (!r.provider.forwardOriginalToken) dropSource(r.source);
    if (principal === null) {
      principal = {
        kind: 'jwt',
        provider: reader.provider.name,
        issuer: verified.issuer,
        subject: verified.subject,
        requestPrincipal: `${verified.issuer}/${verified.subject}`,
        claims: verified.claims as Record<string, unknown>,
      };
      for (const f of reader.provider.forwardClaims) {
        const value = claimHeaderValue(resolveClaim(principal.claims, f.claim));
        if (value !== null) setHeaders[f.header] = value;
      }
    }
  }

  if (apiKey !== null && auth.apiKeys) {
    apiKeyResult ??= await verifyApiKey(apiKey, auth.apiKeys.keys);
    if (!apiKeyResult.ok) return invalid(auth, 'invalid_api_key', 'the API key is not valid');
    dropSource(auth.apiKeys.from);
    principal ??= { kind: 'api-key', name: apiKeyResult.name, requestPrincipal: `apikey/${apiKeyResult.name}`, claims: apiKeyResult.claims };
  }

  if (principal === null) throw new Error('unreachable: a credential was verified but no principal was set');
  if (cookiesToCut.length > 0) {
    const header = request.headers.get('cookie') ?? '';
    const kept = cookiePairs(header).filter((c) => !cookiesToCut.includes(c.name));
    if (kept.length === 0) removeHeaders.push('cookie');
    else if (!('cookie' in setHeaders)) setHeaders.cookie = kept.map((c) => c.raw).join('; ');
  }
  const apiKeyName = apiKeyResult?.ok ? apiKeyResult.name : null;
  return { status: 'authenticated', principal, apiKeyName, setHeaders, removeHeaders: unique(removeHeaders) };
}

function invalid(auth: CompiledAuthentication, code: Exclude<AuthnRejectionCode, 'missing_credentials'>, message: string): AuthnResult {
  if (code === 'jwks_unavailable') return { status: 'rejected', code, message, wwwAuthenticate: challenge(auth), httpStatus: 503 };
  return {
    status: 'rejected',
    code,
    message,
    wwwAuthenticate: `${challenge(auth)}, error="invalid_token", error_description="${quotable(message)}"`,
    httpStatus: 401,
  };
}

function challenge(auth: CompiledAuthentication): string {
  return `${auth.jwt.length > 0 ? 'Bearer' : 'ApiKey'} realm="${REALM}"`;
}

function describeSource(source: TokenSource): string {
  if ('header' in source) return source.prefix ? `the ${source.header} header as "${source.prefix.trim()} <token>"` : `the ${source.header} header`;
  if ('query' in source) return `the ${source.query} query parameter`;
  return `the ${source.cookie} cookie`;
}

function describeCredentials(auth: CompiledAuthentication): string {
  const parts: string[] = [];
  const jwtSources = unique(auth.jwt.flatMap((p) => p.from.map(describeSource)));
  if (jwtSources.length > 0) parts.push(`a bearer token in ${jwtSources.join(' or ')}`);
  if (auth.apiKeys) parts.push(`an API key in ${describeSource(auth.apiKeys.from)}`);
  return parts.join(', or ');
}

/** RFC 6750 §3: error_description is printable ASCII without `"` and `\`. */
function quotable(text: string): string {
  return text.replace(/[^\x20-\x7e]|["\\]/g, "'").slice(0, 300);
}

function printable(text: string): string {
  const t = text.length > 100 ? `${text.slice(0, 100)}…` : text;
  return JSON.stringify(t);
}

function unique(items: string[]): string[] {
  return [...new Set(items)];
}
