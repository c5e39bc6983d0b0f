// Stage 10: the response as the client gets it: hop-by-hop headers dropped, the route's
// response header operations applied, CORS and rate-limit headers added. When none of that
// changes anything, the upstream's response goes out as it came (no copy of it at all).
import { applyHeaderOps, noHeaderOps, stripUntrusted, untrustedNames } from '../../core/http/header-ops.ts';
import type { GatewayContext } from './context.ts';

export function finishResponse(c: GatewayContext, response: Response): Response {
  const ops = c.match?.rule.responseHeaders;
  const withOps = ops !== undefined && !noHeaderOps(ops);
  const added = c.responseHeaders.length > 0;
  const untrusted = untrustedNames(response.headers);
  if (!withOps && !added && !untrusted) return response;
  // One copy, whose headers (unlike a fetch response's) can be changed.
  const out = new Response(response.body, response);
  const headers = out.headers;
  stripUntrusted(headers, untrusted);
  if (withOps) applyHeaderOps(headers, ops);
  if (added)
    for (const [name, value] of c.responseHeaders) {
      // Vary lists combine (the upstream may vary on Accept-Encoding); everything else replaces.
      if (name === 'vary') headers.append('vary', value);
      else headers.set(name, value);
    }
  return out;
}
