// Shadow traffic: a copy of the request to the mirror backend, sent after the response path
// is decided (`waitUntil`); its answer and its failures are discarded, never seen by the client.
import { EDGE_TOKEN_HEADER } from '../../core/identity/edge-token.ts';
import { SVID_HEADER } from '../../core/identity/jwt-svid.ts';
import type { CompiledRule } from '../../core/policy/route/compile.ts';
import type { GatewayContext } from '../pipeline/context.ts';
import { registeredEndpoints } from '../snapshot/endpoints-holder.ts';
import { upstreamUrl } from './upstream-url.ts';
import { healthyEndpoints } from '../../core/lb/select-backend.ts';
import { endpointPool } from './endpoint-pool.ts';

export async function mirrorRequest(c: GatewayContext, mirror: NonNullable<CompiledRule['mirror']>, body: ArrayBuffer | null): Promise<void> {
  const service = c.runtime.services.get(mirror.service);
  if (!service) return;
  const pool = endpointPool(c.runtime.version, service, mirror.subset, await registeredEndpoints(c.env, c.ctx));
  const ep = pool.picker.pick(healthyEndpoints(pool), {});
  if (!ep) return;
  const headers = new Headers(c.upstreamHeaders);
  headers.set('x-weft-shadow', 'true');
  // The edge token and the gateway's JWT-SVID are addressed to the primary service; a shadow
  // must not be able to replay them.
  headers.delete(EDGE_TOKEN_HEADER);
  headers.delete(SVID_HEADER);
  const url = upstreamUrl(c, service, ep);
  c.ctx.waitUntil(
    fetch(url, { method: c.request.method, headers, body, redirect: 'manual', signal: AbortSignal.timeout(c.match?.rule.timeoutMs ?? 10_000) })
      .then((r) => r.body?.cancel())
      .catch(() => undefined),
  );
}
