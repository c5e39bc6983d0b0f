// Stage 8b: edge token exchange. For an authenticated end user, the upstream request carries
// a one-minute JWT signed by the gateway (x-weft-edge-token): audience = the destination
// service's SPIFFE ID, subject = the user (`iss/sub` or `apikey/<name>`), plus the claims the
// route forwards. Sidecars verify it offline against the trust bundle.
import { resolveClaim } from '../../core/authn/claims.ts';
import { EDGE_TOKEN_HEADER, mintEdgeToken } from '../../core/identity/edge-token.ts';
import { formatSpiffeId } from '../../core/identity/spiffe-id.ts';
import { edgeSigner } from '../identity/edge-signer.ts';
import { jsonError } from './json-error.ts';
import type { Stage } from './context.ts';

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
  const service = c.backend.service;
  const token = await mintEdgeToken({
    gatewayId: signer.gatewayId,
    audience: formatSpiffeId(c.runtime.snapshot.body.mesh.trustDomain, service.namespace, service.name),
    user: { requestPrincipal: c.user.requestPrincipal, claims },
    key: signer.key,
  });
  c.upstreamHeaders.set(EDGE_TOKEN_HEADER, token);
  return undefined;
};
