// The outbound proxy: the app's calls to other mesh services (`HTTP_PROXY=http://127.0.0.1:15001`
// or a plain `Host: reviews` request; over h2c, `:authority: reviews`). An adapter: the Node request becomes core's request
// view and context, core's outbound stages decide (core/pipeline/pipelines.ts: destination,
// path, route, fault, redirect, headers, backend, identity, attempts), and MeshPieces moves
// the bytes. The app's hop-by-hop and identity headers are cut on entry.
import { authorityPort } from '../../core/http/listener-port.ts';
import { refuse } from '../../core/pipeline/answer.ts';
import type { Stage } from '../../core/pipeline/context.ts';
import { hostOnly } from '../../core/pipeline/destination.ts';
import { outboundStages } from '../../core/pipeline/pipelines.ts';
import { splitPathAndQuery } from '../../core/route/normalize-path.ts';
import type { ProxyListener, ProxyObserver, SidecarView } from '../types.ts';
import { MESH_HEADERS } from '../types.ts';
import { writeAnswer } from './answer-writer.ts';
import { authorityOf } from './front-door.ts';
import type { DownstreamRequest, DownstreamResponse } from './front-door.ts';
import { HeaderList } from './header-list.ts';
import { forwardedRequestHeaders } from './hop-by-hop.ts';
import { listen } from './listener.ts';
import { createMeshPlane } from './mesh-plane.ts';
import type { MeshPlane } from './mesh-plane.ts';
import { MeshPieces } from './mesh-pieces.ts';
import { reportWhenDone } from './request-entry.ts';
import type { EntrySource } from './request-entry.ts';
import { runMeshPipeline } from './run-mesh-pipeline.ts';

/** Headers the app may not send on: identity is the sidecar's to assert (the edge token is the app's to propagate). */
const OUTBOUND_DROP: ReadonlySet<string> = new Set([
  MESH_HEADERS.svid,
  MESH_HEADERS.peerId,
  MESH_HEADERS.principal,
  MESH_HEADERS.claims,
  'proxy-authorization', // meant for this proxy, never for the service behind it
  'x-forwarded-for',
  'traceparent',
]);

/** Request target of an HTTP_PROXY request (`http://reviews/x`) or an origin-form one (`/x` + Host). */
function splitTarget(req: DownstreamRequest): { authority: string; target: string } {
  const url = req.url ?? '/';
  if (url.startsWith('/')) return { authority: authorityOf(req), target: url };
  const scheme = url.indexOf('://');
  if (scheme < 0) return { authority: authorityOf(req), target: url };
  const slash = url.indexOf('/', scheme + 3);
  const end = slash < 0 ? url.length : slash;
  const q = url.indexOf('?', scheme + 3);
  const cut = q >= 0 && q < end ? q : end;
  return { authority: url.slice(scheme + 3, cut), target: slash < 0 || cut < end ? `/${url.slice(cut)}` : url.slice(slash) };
}

async function handle(plane: MeshPlane, stages: readonly Stage[], req: DownstreamRequest, res: DownstreamResponse): Promise<void> {
  const { authority, target } = splitTarget(req);
  const { path: rawPath, query } = splitPathAndQuery(target);
  const source: EntrySource = { authority, path: rawPath };
  reportWhenDone('outbound', plane.observer, req, res, source);
  const runtime = plane.view.runtime();
  if (!runtime) {
    source.reason = 'no_snapshot';
    return writeAnswer(res, refuse('no_snapshot', 'the sidecar has no policy snapshot yet'));
  }
  const headers = new HeaderList(forwardedRequestHeaders(req.rawHeaders, OUTBOUND_DROP).list);
  const pieces = new MeshPieces(plane, req, res, headers, authority);
  // The mesh's listener for a service is the port the app addressed it on (Host `reviews:9080`), 80 when it named none.
  const listenerPort = authorityPort(authority, 'http');
  await runMeshPipeline(stages, { plane: 'outbound', runtime, host: hostOnly(authority), authority, listenerPort, rawPath, query, tlsPeer: null }, pieces, source);
}

export function startOutbound(options: { view: SidecarView; observer: ProxyObserver; host?: string; port: number }): Promise<ProxyListener> {
  const plane = createMeshPlane('outbound', options.view, options.observer);
  const stages = outboundStages(options.view.self.namespace);
  const closed = () => Promise.all([plane.tunnels.closeAll(), plane.upstreams.close()]).then(() => undefined);
  return listen(options.host ?? '127.0.0.1', options.port, (req, res) => handle(plane, stages, req, res), closed).then((l) => Object.assign(l, { retryBudgets: () => plane.pools.retryBudgets() }));
}
