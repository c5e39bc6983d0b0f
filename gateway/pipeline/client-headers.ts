// The upstream request's headers start as the client's, minus hop-by-hop headers and anything
// claiming an identity (`x-weft-*`, `x-forwarded-client-cert`): apps behind Weft never trust
// identity headers from outside. That cut happens once, when the request enters the pipeline,
// before any stage adds verified headers (so a client's `Connection: x-user-id` cannot remove
// a claim header the gateway set). Stage 7a then sets the forwarding headers from what the
// edge saw.
import type { Stage } from './context.ts';

export const clientHeadersStage: Stage = (c) => {
  if (c.clientIp) {
    const prior = c.request.headers.get('x-forwarded-for');
    c.upstreamHeaders.set('x-forwarded-for', prior ? `${prior}, ${c.clientIp}` : c.clientIp);
  }
  c.upstreamHeaders.set('x-forwarded-proto', c.url.protocol.replace(':', ''));
  c.upstreamHeaders.set('x-forwarded-host', c.host);
  c.upstreamHeaders.set('traceparent', c.traceparent);
  return undefined;
};
