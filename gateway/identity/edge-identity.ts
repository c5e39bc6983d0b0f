// The gateway's identity towards the backend it calls (core's identity stage asks for it):
// for an authenticated end user an edge token (x-weft-edge-token: a one-minute JWT signed by
// the gateway, audience = the backend's SPIFFE ID, the user and the claims the route
// forwards), and the gateway's own JWT-SVID (x-weft-svid), so sidecars in strict mode know
// the edge, for anonymous users too. A token is reused for the same user and audience while
// more than half its life is left; without an SVID (control cannot issue one now) the request
// still goes: the sidecar decides.
import { forwardedClaimValues } from '../../core/authn/authenticate.ts';
import { DEFAULT_EDGE_TOKEN_TTL_MS, EDGE_TOKEN_HEADER, mintEdgeToken } from '../../core/identity/edge-token.ts';
import { SVID_HEADER } from '../../core/identity/jwt-svid.ts';
import { TokenCache } from '../../core/identity/token-cache.ts';
import { refuse } from '../../core/pipeline/answer.ts';
import type { Answer } from '../../core/pipeline/answer.ts';
import type { PipelineContext } from '../../core/pipeline/context.ts';
import type { GatewayEnv } from '../env.ts';
import { edgeSigner, readyEdgeSigner } from './edge-signer.ts';
import type { EdgeSigner } from './edge-signer.ts';
import { cachedGatewaySvid, gatewaySvidFor } from './gateway-svid.ts';

/** Per isolate. */
const tokens = new TokenCache();

/**
 * One token per (key, audience, user, forwarded claims), reused for half its minute. The
 * fields are length-prefixed, so no user's principal or claims can spell another's key.
 */
function cacheKey(signer: EdgeSigner, audience: string, requestPrincipal: string, claims: Record<string, unknown>): string {
  const kid = signer.key.kid;
  const key = `${kid.length}:${kid}${audience.length}:${audience}${requestPrincipal.length}:${requestPrincipal}`;
  for (const _ in claims) return key + JSON.stringify(claims);
  return key;
}

async function signed(c: PipelineContext, env: GatewayEnv, audience: string, requestPrincipal: string, claims: Record<string, unknown>): Promise<Answer | undefined> {
  let signer;
  try {
    signer = await edgeSigner(env);
  } catch (e) {
    console.error(JSON.stringify({ level: 'error', msg: 'edge token key unavailable', error: String(e) }));
    return refuse('edge_identity_unavailable', 'the gateway cannot vouch for the user right now (its edge key is not certified)');
  }
  const user = { requestPrincipal, claims };
  const token = await tokens.get(cacheKey(signer, audience, requestPrincipal, claims), async () => {
    const issuedAt = Date.now();
    const ttlMs = DEFAULT_EDGE_TOKEN_TTL_MS;
    return { token: await mintEdgeToken({ gatewayId: signer.gatewayId, audience, user, key: signer.key, ttlMs, now: issuedAt }), issuedAt, expiresAt: issuedAt + ttlMs };
  });
  c.upstreamHeaders.set(EDGE_TOKEN_HEADER, token);
  return svid(c, env, audience);
}

function edgeToken(c: PipelineContext, env: GatewayEnv, audience: string): Answer | undefined | Promise<Answer | undefined> {
  const user = c.user;
  if (!user) return undefined;
  const claims = forwardedClaimValues(c.runtime.authentication(c.targets), user.claims);
  // The common case, synchronously: a certified key and a token with half its life left.
  const signer = readyEdgeSigner();
  const cached = signer && tokens.fresh(cacheKey(signer, audience, user.requestPrincipal, claims));
  if (cached === undefined) return signed(c, env, audience, user.requestPrincipal, claims);
  c.upstreamHeaders.set(EDGE_TOKEN_HEADER, cached);
  return undefined;
}

async function fetchSvid(c: PipelineContext, env: GatewayEnv, audience: string): Promise<undefined> {
  const s = await gatewaySvidFor(env, audience);
  if (s) c.upstreamHeaders.set(SVID_HEADER, s);
  return undefined;
}

function svid(c: PipelineContext, env: GatewayEnv, audience: string): undefined | Promise<undefined> {
  const cached = cachedGatewaySvid(audience);
  if (cached === undefined) return fetchSvid(c, env, audience);
  c.upstreamHeaders.set(SVID_HEADER, cached);
  return undefined;
}

export function edgeIdentity(c: PipelineContext, env: GatewayEnv, audience: string): Answer | undefined | Promise<Answer | undefined> {
  const token = edgeToken(c, env, audience);
  if (token instanceof Promise) return token;
  return token ?? svid(c, env, audience);
}
