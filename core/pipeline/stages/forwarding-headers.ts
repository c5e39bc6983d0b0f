// The forwarding headers every hop sets from what it saw: X-Forwarded-For (the caller's list
// with this hop's client appended), X-Forwarded-Proto (the edge knows the scheme; a mesh hop
// keeps the caller's), X-Forwarded-Host at the edge (the Host the client sent, its port
// kept), and this hop's traceparent. The client's identity headers were cut when the
// request entered (the adapter's first step).
import type { Stage } from '../context.ts';

export const forwardingHeadersStage: Stage = (c) => {
  const h = c.upstreamHeaders;
  const client = c.request.clientIp;
  if (client !== null) {
    const prior = c.request.headers.get('x-forwarded-for');
    h.set('x-forwarded-for', prior ? `${prior}, ${client}` : client);
  }
  if (c.plane === 'edge') {
    h.set('x-forwarded-proto', c.request.scheme);
    h.set('x-forwarded-host', c.request.authority);
  } else if (c.request.headers.get('x-forwarded-proto') === null) h.set('x-forwarded-proto', c.request.scheme);
  h.set('traceparent', c.traceparent);
  return undefined;
};
