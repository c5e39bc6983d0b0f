// End-user authentication in core: JWTs (jose, remote or inline JWKS) and API keys by hash.
export { authenticate, readCookie, readToken } from './authenticate.ts';
export type { AuthnDeps, AuthnPrincipal, AuthnRejectionCode, AuthnRequest, AuthnResult } from './authenticate.ts';
export { sha256Hex, verifyApiKey } from './api-key.ts';
export type { ApiKeyEntry, ApiKeyResult } from './api-key.ts';
export { claimHeaderValue, claimValues, resolveClaim } from './claims.ts';
export { JwksCache, JwksUnavailableError, checkJwks } from './jwks-cache.ts';
export type { JwksCacheOptions, JwksGetOptions } from './jwks-cache.ts';
export { looksLikeJwt, unverifiedIssuer, verifyJwt } from './verify-jwt.ts';
export type { JwtRejectionCode, JwtVerifyResult, VerifyJwtDeps } from './verify-jwt.ts';
