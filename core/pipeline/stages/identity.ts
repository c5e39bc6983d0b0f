// This plane's identity for the backend it calls (audience = the backend's SPIFFE ID, from
// the snapshot): the gateway's edge token and JWT-SVID, a sidecar's JWT-SVID. The adapter
// holds the keys; what to vouch for, and to whom, is decided here.
import type { Stage } from '../context.ts';

export const identityStage: Stage = (c) => {
  if (!c.backend) return undefined;
  return c.pieces.identity(c, c.runtime.spiffeIds.get(c.backend.service.id) as string);
};
