// Stage 8b: edge token exchange. For an authenticated end user, the upstream request carries
// a one-minute JWT signed by the gateway (x-weft-edge-token): audience = the destination
// service's SPIFFE ID, subject = the user (`iss/sub` or `apikey/<name>`), plus the claims the
// route forwards. Sidecars verify it offline against the trust bundle. A token is reused for
// the same user and audience while more than half its lifetime is left (TokenCache).
import { forwardedClaimValues } from '../../core/authn/authenticate.ts';
import { DEFAULT_EDGE_TOKEN_TTL_MS, EDGE_TOKEN_HEADER, mintEdgeToken } from '../../core/identity/edge-token.ts';
import { TokenCache } from '../../core/identity/token-cache.ts';
import { edgeSigner, readyEdgeSigner } from '../identity/edge-signer.ts';
import type { EdgeSigner } from '../identity/edge-signer.ts';
import { jsonError } from './json-error.ts';
import type { GatewayContext, Stage } from './context.ts';

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

async function signed(c: GatewayContext, audience: string, requestPrincipal: string, claims: Record<string, unknown>): Promise<Response | undefined> {
  let signer;
  try {
    signer = await edgeSigner(c.env);
  } catch (e) {
    console.error(JSON.stringify({ level: 'error', msg: 'edge token key unavailable', error: String(e) }));
    return jsonError(503, 'edge_identity_unavailable', 'the gateway cannot vouch for the user right now (its edge key is not certified)');
  }
  const user = { requestPrincipal, claims };
  const token = await tokens.get(cacheKey(signer, audience, requestPrincipal, claims), async () => {
    const issuedAt = Date.now();
    const ttlMs = DEFAULT_EDGE_TOKEN_TTL_MS;
    return { token: await mintEdgeToken({ gatewayId: signer.gatewayId, audience, user, key: signer.key, ttlMs, now: issuedAt }), issuedAt, expiresAt: issuedAt + ttlMs };
  });
  c.upstreamHeaders.set(EDGE_TOKEN_HEADER, token);
  return undefined;
}

export const edgeTokenStage: Stage = (c) => {
  const user = c.user;
  if (!user || !c.backend) return undefined;
  const audience = c.runtime.spiffeIds.get(c.backend.service.id) as string;
  const claims = forwardedClaimValues(c.runtime.authentication(c.targets), user.claims);
  // The common case, synchronously: a certified key and a token with half its life left.
  const signer = readyEdgeSigner();
  const cached = signer && tokens.fresh(cacheKey(signer, audience, user.requestPrincipal, claims));
  if (cached === undefined) return signed(c, audience, user.requestPrincipal, claims);
  c.upstreamHeaders.set(EDGE_TOKEN_HEADER, cached);
  return undefined;
};
