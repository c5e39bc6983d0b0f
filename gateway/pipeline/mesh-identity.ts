// Stage 8c: the gateway's own identity for the destination sidecar: `x-weft-svid`, a JWT-SVID
// of the gateway (`spiffe://<td>/ns/edge/sa/gateway`) with the backend service as audience.
// Sidecars in strict mode accept only callers that prove who they are; this is how the edge
// proves it is the edge, for anonymous users too (the edge token says who the user is).
// Without it (control cannot issue one right now) the request still goes: the sidecar decides.
import { SVID_HEADER } from '../../core/identity/jwt-svid.ts';
import { cachedGatewaySvid, gatewaySvidFor } from '../identity/gateway-svid.ts';
import type { GatewayContext, Stage } from './context.ts';

async function fetchSvid(c: GatewayContext, audience: string): Promise<undefined> {
  const svid = await gatewaySvidFor(c.env, audience);
  if (svid) c.upstreamHeaders.set(SVID_HEADER, svid);
  return undefined;
}

export const meshIdentityStage: Stage = (c) => {
  if (!c.backend) return undefined;
  const audience = c.runtime.spiffeIds.get(c.backend.service.id) as string;
  const cached = cachedGatewaySvid(audience);
  if (cached === undefined) return fetchSvid(c, audience);
  c.upstreamHeaders.set(SVID_HEADER, cached);
  return undefined;
};
