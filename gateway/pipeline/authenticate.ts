// Stage 4: who the end user or partner is (core/authn): JWTs from the route's providers,
// verified against inline or cached remote JWKS (stale-while-revalidate, so an issuer's JWKS
// outage does not reject good tokens within the grace period), or API keys by hash.
import { authenticate } from '../../core/authn/authenticate.ts';
import { JwksCache } from '../../core/authn/jwks-cache.ts';
import type { CompiledAuthentication } from '../../core/policy/authentication/compile.ts';
import type { GatewayEnv } from '../env.ts';
import { jsonError } from './json-error.ts';
import type { GatewayContext, Stage } from './context.ts';

/** One JWKS cache per isolate, shared by all requests and snapshot versions. */
let jwks: JwksCache | undefined;

function jwksCache(env: GatewayEnv): JwksCache {
  const seconds = (v: string | undefined) => (v && Number(v) > 0 ? Number(v) * 1000 : undefined);
  const ttlMs = seconds(env.JWKS_TTL_SECONDS);
  const graceMs = seconds(env.JWKS_GRACE_SECONDS);
  jwks ??= new JwksCache({ fetch: (input, init) => fetch(input, init), ...(ttlMs ? { ttlMs, minRefreshIntervalMs: Math.min(ttlMs, 30_000) } : {}), ...(graceMs ? { graceMs } : {}) });
  return jwks;
}

export const authenticateStage: Stage = (c) => {
  const auth = c.runtime.authentication(c.targets);
  return auth ? authenticated(c, auth) : undefined;
};

async function authenticated(c: GatewayContext, auth: CompiledAuthentication): Promise<Response | undefined> {
  const result = await authenticate(auth, { headers: c.request.headers, query: c.url.searchParams }, { jwks: jwksCache(c.env), now: Date.now, waitUntil: (p) => c.ctx.waitUntil(p) });
  if (result.status === 'rejected') return jsonError(result.httpStatus, result.code, result.message, { 'www-authenticate': result.wwwAuthenticate });
  for (const h of result.removeHeaders) c.upstreamHeaders.delete(h);
  if (result.status === 'anonymous') return undefined;
  for (const [name, value] of Object.entries(result.setHeaders)) c.upstreamHeaders.set(name, value);
  const p = result.principal;
  c.user = { requestPrincipal: p.requestPrincipal, claims: p.claims, apiKey: result.apiKeyName };
  return undefined;
}
