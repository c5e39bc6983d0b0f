// Stage 8b: edge token exchange. For an authenticated end user, the upstream request carries
// a one-minute JWT signed by the gateway (x-weft-edge-token): audience = the destination
// service's SPIFFE ID, subject = the user (`iss/sub` or `apikey/<name>`), plus the claims the
// route forwards. Sidecars verify it offline against the trust bundle. A token is reused for
// the same user and audience while more than half its lifetime is left (TokenCache).
import { resolveClaim } from '../../core/authn/claims.ts';
import { DEFAULT_EDGE_TOKEN_TTL_MS, EDGE_TOKEN_HEADER, mintEdgeToken } from '../../core/identity/edge-token.ts';
import { TokenCache } from '../../core/identity/token-cache.ts';
import { edgeSigner } from '../identity/edge-signer.ts';
import { jsonError } from './json-error.ts';
import type { Stage } from './context.ts';

/** Per isolate. */
const tokens = new TokenCache();

export const edgeTokenStage: Stage = async (c) => {
  if (!c.user || !c.backend) return undefined;
  let signer;
  try {
    signer = await edgeSigner(c.env);
  } catch (e) {
    console.error(JSON.stringify({ level: 'error', msg: 'edge token key unavailable', error: String(e) }));
    return jsonError(503, 'edge_identity_unavailable', 'the gateway cannot vouch for the user right now (its edge key is not certified)');
  }
  const forwarded = (c.runtime.authentication(c.targets)?.jwt ?? []).flatMap((p) => p.forwardClaims.map((f) => f.claim));
  const claims: Record<string, unknown> = {};
  for (const name of forwarded) {
    const value = resolveClaim(c.user.claims, name);
    if (value !== undefined) claims[name] = value;
  }
  const audience = c.runtime.spiffeIds.get(c.backend.service.id) as string;
  const user = { requestPrincipal: c.user.requestPrincipal, claims };
  // One token per (key, audience, user, forwarded claims), reused for half its minute.
  const key = JSON.stringify([signer.key.kid, audience, user.requestPrincipal, claims]);
  const token = await tokens.get(key, async () => {
    const issuedAt = Date.now();
    const ttlMs = DEFAULT_EDGE_TOKEN_TTL_MS;
    return { token: await mintEdgeToken({ gatewayId: signer.gatewayId, audience, user, key: signer.key, ttlMs, now: issuedAt }), issuedAt, expiresAt: issuedAt + ttlMs };
  });
  c.upstreamHeaders.set(EDGE_TOKEN_HEADER, token);
  return undefined;
};
