// Shadow traffic: a copy of a replayable request to the rule's mirror service, fire and
// forget; its answer and its failures are discarded and never touch the caller's response.
// Like the gateway, the copy carries `x-weft-shadow: true` and never the caller's edge
// token (that token is addressed to the primary service; a shadow must not be able to replay
// it), and it gets its own JWT-SVID addressed to the mirror service.
import { healthyEndpoints } from '../../core/lb/select-backend.ts';
import type { CompiledRule } from '../../core/policy/route/compile.ts';
import type { SnapshotRuntime } from '../../core/runtime/snapshot-runtime.ts';
import type { SidecarView } from '../types.ts';
import { MESH_HEADERS } from '../types.ts';
import type { EndpointPools } from './endpoint-pools.ts';
import { removeHeader, setHeader } from './hop-by-hop.ts';
import type { UpstreamPools } from './upstream-pools.ts';

export function mirrorRequest(
  view: SidecarView,
  runtime: SnapshotRuntime,
  mirror: NonNullable<CompiledRule['mirror']>,
  request: { method: string; path: string; headers: readonly string[]; body: Buffer | null; timeoutMs: number },
  pools: EndpointPools,
  upstreams: UpstreamPools,
): void {
  const service = runtime.services.get(mirror.service);
  if (!service) return;
  const pool = pools.pool(runtime.version, service, mirror.subset, view.endpoints());
  const ep = pool.picker.pick(healthyEndpoints(pool), { activeRequests: pool.activeRequests });
  if (!ep) return;
  const headers = [...request.headers];
  removeHeader(headers, MESH_HEADERS.edgeToken);
  setHeader(headers, 'x-weft-shadow', 'true');
  void view
    .jwtSvid(runtime.spiffeIds.get(service.id) as string)
    .then((svid) => {
      setHeader(headers, MESH_HEADERS.svid, svid);
      return upstreams
        .get(ep.address, ep.port, service.protocol, service.connectionLimits, pool.sidecars.has(ep.id) ? service.id : undefined)
        .request({ method: request.method as 'GET', path: request.path, headers, body: request.body, headersTimeout: request.timeoutMs, bodyTimeout: request.timeoutMs });
    })
    .then((r) => r.body.dump())
    .catch(() => undefined);
}
