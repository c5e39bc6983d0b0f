// Stage 10: the response as the client gets it: hop-by-hop headers dropped, the rule's and
// then the backend's response header operations applied, CORS and rate-limit headers added.
// When none of that changes anything, the upstream's response goes out as it came (no copy
// of it at all).
import { exposedHeaderNames } from '../../core/http/cors.ts';
import { applyHeaderOps, stripUntrusted, untrustedNames } from '../../core/http/header-ops.ts';
import type { PipelineContext } from '../../core/pipeline/context.ts';
import { responseHeaderOps } from '../../core/pipeline/response-header-ops.ts';

/**
 * Connection-level headers workerd's HTTP server drops from a Worker's response and writes
 * itself (seen on the wire; test/e2e/mesh.test.ts checks an upstream's Keep-Alive never
 * reaches the client). Left to it, the Connection, Keep-Alive and Transfer-Encoding every
 * Node upstream sends no longer cost a copy of every response. A header that Connection
 * names is still removed here.
 */
const WORKERD_WRITES: ReadonlySet<string> = new Set(['connection', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

export function finishResponse(c: PipelineContext<Response>, response: Response): Response {
  const ops = responseHeaderOps(c);
  const withOps = ops.length > 0;
  const added = c.responseHeaders.length > 0;
  const untrusted = untrustedNames(response.headers, WORKERD_WRITES);
  if (!withOps && !added && !untrusted) return response;
  // One copy, whose headers (unlike a fetch response's) can be changed; a 101 keeps its socket.
  const out = response.webSocket ? new Response(null, { status: 101, headers: response.headers, webSocket: response.webSocket }) : new Response(response.body, response);
  const headers = out.headers;
  stripUntrusted(headers, untrusted);
  for (const o of ops) applyHeaderOps(headers, o);
  const cors = c.match?.rule.cors;
  const exposed = cors ? exposedHeaderNames(cors, c.request.headers.get('origin'), headers.keys()) : undefined;
  if (exposed !== undefined) headers.set('access-control-expose-headers', exposed);
  if (added)
    for (const [name, value] of c.responseHeaders) {
      // Vary lists combine (the upstream may vary on Accept-Encoding); everything else replaces.
      if (name === 'vary') headers.append('vary', value);
      else headers.set(name, value);
    }
  return out;
}
