// Stage 10: the response as the client gets it: hop-by-hop headers dropped, the route's
// response header operations applied, CORS and rate-limit headers added.
import { applyHeaderOps } from '../../core/http/header-ops.ts';
import { stripUntrusted } from './client-headers.ts';
import type { GatewayContext } from './context.ts';

export function finishResponse(c: GatewayContext, response: Response): Response {
  const headers = new Headers(response.headers);
  stripUntrusted(headers);
  if (c.match) applyHeaderOps(headers, c.match.rule.responseHeaders);
  for (const [name, value] of c.responseHeaders) {
    // Vary lists combine (the upstream may vary on Accept-Encoding); everything else replaces.
    if (name === 'vary') headers.append('vary', value);
    else headers.set(name, value);
  }
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}
