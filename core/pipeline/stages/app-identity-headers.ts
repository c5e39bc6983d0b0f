// Inbound: what the app learns of its caller, verified: x-weft-peer-id (the caller's SPIFFE
// ID), x-weft-principal and x-weft-claims (the end user). The client's own copies of these
// were cut on entry; the caller's SVID never reaches the app. The edge token does: the app
// passes it on with its own calls (one-hop delegation), as it passes on traceparent.
import { SVID_HEADER } from '../../identity/jwt-svid.ts';
import type { Stage } from '../context.ts';

export const APP_IDENTITY_HEADERS = { peerId: 'x-weft-peer-id', principal: 'x-weft-principal', claims: 'x-weft-claims' } as const;

export const appIdentityHeadersStage: Stage = (c) => {
  const h = c.upstreamHeaders;
  h.delete(SVID_HEADER);
  if (c.peer !== null) h.set(APP_IDENTITY_HEADERS.peerId, c.peer);
  if (c.user) {
    h.set(APP_IDENTITY_HEADERS.principal, c.user.requestPrincipal);
    h.set(APP_IDENTITY_HEADERS.claims, JSON.stringify(c.user.claims));
  }
  return undefined;
};
