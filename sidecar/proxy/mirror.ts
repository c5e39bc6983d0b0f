// Shadow traffic: a copy of a replayable request to one of the rule's mirror services (core's
// attempts stage picks the endpoint), fire and forget; its answer and its failures are
// discarded and never touch the caller's response. Like the gateway, the copy carries
// `x-weft-shadow: true` and never the caller's edge token (that token is addressed to the
// primary service; a shadow must not be able to replay it), and it gets its own JWT-SVID
// addressed to the mirror service.
import type { MirrorCopy } from '../../core/pipeline/pieces.ts';
import type { SnapshotRuntime } from '../../core/runtime/snapshot-runtime.ts';
import { MESH_HEADERS } from '../types.ts';
import { removeHeader, setHeader } from './header-list.ts';
import type { MeshPlane } from './mesh-plane.ts';
import { H2Pool } from './h2-pool.ts';
import type { Upstream } from './upstream-pools.ts';
import type { Dispatcher } from 'undici';

export function mirrorRequest(
  plane: MeshPlane,
  runtime: SnapshotRuntime,
  { service, endpoint, registered, timeoutMs }: MirrorCopy,
  request: { method: string; path: string; headers: readonly string[]; body: Buffer | null; http2: boolean },
): void {
  const headers = [...request.headers];
  removeHeader(headers, MESH_HEADERS.edgeToken);
  setHeader(headers, 'x-weft-shadow', 'true');
  void plane.view
    .jwtSvid(runtime.spiffeIds.get(service.id) as string)
    .then((svid) => {
      setHeader(headers, MESH_HEADERS.svid, svid);
      discard(plane.upstreams.forEndpoint(service, endpoint, registered, request.http2), { method: request.method, path: request.path, headers, body: request.body }, timeoutMs);
    })
    .catch(() => undefined);
}

/** Sends a request and reads its answer into nothing, within `timeoutMs` (0: no limit); failures are dropped. */
function discard(upstream: Upstream, o: { method: string; path: string; headers: string[]; body: Buffer | null }, timeoutMs: number): void {
  let timer: NodeJS.Timeout | undefined;
  const done = () => clearTimeout(timer);
  const handler = {
    onConnect(abort: (e?: Error) => void) {
      if (timeoutMs <= 0) return;
      timer = setTimeout(() => abort(new Error(`mirror: no answer within ${timeoutMs} ms`)), timeoutMs);
      timer.unref();
    },
    onHeaders: () => true,
    onData: () => true,
    onComplete: done,
    onError: done,
  };
  if (upstream instanceof H2Pool) upstream.dispatch(o, handler);
  else upstream.dispatch(o, handler as unknown as Dispatcher.DispatchHandler);
}
