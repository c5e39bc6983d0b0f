// The inbound proxy: traffic to this instance, passed to the app on 127.0.0.1:appPort. An
// adapter: the transport's verdict first (an mTLS connection without a verified client
// certificate is refused, 403), then core's inbound stages decide (core/pipeline/pipelines.ts:
// path, caller identity, route, end-user authentication, access, rate limits, identity
// headers for the app) and MeshPieces streams the request to the app and its response back.
// Identity headers nobody outside may set are cut on entry.
import { refuse } from '../../core/pipeline/answer.ts';
import { INBOUND_STAGES } from '../../core/pipeline/pipelines.ts';
import type { InboundPieces } from '../../core/pipeline/pieces.ts';
import { meshHost } from '../../core/compile/route-table.ts';
import { splitPathAndQuery } from '../../core/route/normalize-path.ts';
import { peerOf, peerProblem } from '../tls/server-tls.ts';
import type { TlsRefusal } from '../tls/server-tls.ts';
import type { ProxyListener, ProxyObserver, SidecarView } from '../types.ts';
import { MESH_HEADERS } from '../types.ts';
import { writeAnswer } from './answer-writer.ts';
import { authorityOf, isMtls } from './front-door.ts';
import type { DownstreamRequest, DownstreamResponse } from './front-door.ts';
import { HeaderList } from './header-list.ts';
import { forwardedRequestHeaders } from './hop-by-hop.ts';
import { InboundVerifiers } from './inbound-identity.ts';
import { listen } from './listener.ts';
import { createMeshPlane } from './mesh-plane.ts';
import { MeshPieces } from './mesh-pieces.ts';
import { reportWhenDone } from './request-entry.ts';
import type { EntrySource } from './request-entry.ts';
import { runMeshPipeline } from './run-mesh-pipeline.ts';
import { newPool } from './upstream-pools.ts';
import type { Upstream } from './upstream-pools.ts';
import { speaksHttp2 } from '../../core/policy/service/protocol.ts';
import { grpcProtocolOf } from '../../core/grpc/protocol.ts';
import type { SnapshotRuntime } from '../../core/runtime/snapshot-runtime.ts';

const INBOUND_DROP: ReadonlySet<string> = new Set([MESH_HEADERS.peerId, MESH_HEADERS.principal, MESH_HEADERS.claims, 'x-forwarded-for', 'traceparent']);

export interface InboundOptions {
  view: SidecarView;
  observer: ProxyObserver;
  host?: string;
  port: number;
  app: { host: string; port: number };
  /** A TLS connection refused at or after its handshake (besides the observer's count); for the log. */
  tlsRefused?: (kind: TlsRefusal, reason: string, remote: string) => void;
}

export function startInbound(options: InboundOptions): Promise<ProxyListener> {
  const { view, observer } = options;
  const self = view.self;
  const serviceId = `${self.namespace}/${self.service}`;
  const host = meshHost(serviceId);
  const appAt = `${options.app.host}:${options.app.port}`;
  const appOrigin = `http://${options.app.host.includes(':') ? `[${options.app.host}]` : options.app.host}:${options.app.port}`;
  // The app speaks its Service's protocol: HTTP/1.1, or h2c for `http2` and `grpc`.
  const app = newPool(appOrigin, undefined);
  let appH2: Upstream | undefined;
  /** A gRPC-Web call to a gRPC app is bridged (grpc-web-bridge.ts); to any other app it passes as it is. */
  const grpcWebToGrpc = (runtime: SnapshotRuntime, req: DownstreamRequest): boolean =>
    runtime.services.get(serviceId)?.protocol === 'grpc' && grpcProtocolOf(req.headers['content-type'] ?? null) === 'grpc-web';
  const appPool = (runtime: SnapshotRuntime): Upstream => {
    const own = runtime.services.get(serviceId);
    return own && speaksHttp2(own) ? (appH2 ??= newPool(appOrigin, undefined, undefined, 'h2')) : app;
  };
  const plane = createMeshPlane('inbound', view, observer);
  const verifiers = new InboundVerifiers(self);

  /** The mTLS client certificate's SPIFFE ID, checked again against the current CA bundle and its expiry; a string is the refusal. */
  function tlsPeer(req: DownstreamRequest): { peer: string | null } | string {
    if (!isMtls(req)) {
      observer.transport?.('inbound', 'plaintext');
      return { peer: null };
    }
    observer.transport?.('inbound', 'mtls');
    const peer = peerOf(req.socket, view.tls()?.authorities);
    if (peer !== undefined) return { peer };
    const why = peerProblem(req.socket) ?? 'the connection has no verified client certificate';
    const kind = /expired/.test(why) ? 'expired' : 'untrusted';
    observer.tlsRefused?.('inbound', kind);
    options.tlsRefused?.(kind, why, `${req.socket.remoteAddress ?? ''}:${req.socket.remotePort ?? 0}`);
    return why;
  }

  async function handle(req: DownstreamRequest, res: DownstreamResponse): Promise<void> {
    const { path: rawPath, query } = splitPathAndQuery(req.url ?? '/');
    const source: EntrySource = { authority: authorityOf(req), path: rawPath };
    reportWhenDone('inbound', observer, req, res, source);
    const runtime = view.runtime();
    const bundle = view.bundle();
    if (!runtime || !bundle) {
      source.reason = 'no_snapshot';
      return writeAnswer(res, refuse('no_snapshot', 'the sidecar has no policy snapshot or trust bundle yet'));
    }
    const tls = tlsPeer(req);
    if (typeof tls === 'string') {
      source.reason = 'peer_refused';
      return writeAnswer(res, refuse('peer_refused', tls));
    }
    const forwarded = forwardedRequestHeaders(req.rawHeaders, INBOUND_DROP);
    const headers = new HeaderList(forwarded.list);
    const pieces = new MeshPieces(plane, req, res, headers, forwarded.host);
    const inbound: InboundPieces = {
      verifySvid: (token) => verifiers.svid(bundle, token),
      verifyEdgeToken: (token, caller) => verifiers.edgeToken(bundle, token, caller),
      edgeIssuer: () => bundle.edge.issuer,
      mtlsCapable: () => view.tls() !== undefined,
      toApp: (timeoutMs) => pieces.toApp(appPool(runtime), appAt, timeoutMs, grpcWebToGrpc(runtime, req)),
      // An upgrade is HTTP/1.1 whatever the app's protocol: a connection of its own.
      upgradeToApp: (tunnel) => pieces.upgradeToApp(appOrigin, appAt, tunnel),
    };
    pieces.inbound = inbound;
    const listenerPort = req.socket.localPort ?? null;
    await runMeshPipeline(INBOUND_STAGES, { plane: 'inbound', runtime, host, authority: authorityOf(req) || host, listenerPort, rawPath, query, tlsPeer: tls.peer, service: serviceId }, pieces, source);
  }

  const mtls = {
    material: () => view.tls(),
    trustDomain: () => view.self.trustDomain || undefined,
    refused: (kind: TlsRefusal, reason: string, remote: string) => {
      observer.tlsRefused?.('inbound', kind);
      options.tlsRefused?.(kind, reason, remote);
    },
  };
  const closed = () =>
    Promise.all([plane.tunnels.closeAll(), app.destroy().catch(() => undefined), appH2?.destroy().catch(() => undefined), plane.upstreams.close()]).then(() => undefined);
  return listen(options.host ?? '127.0.0.1', options.port, handle, closed, mtls);
}
