// A sidecar's pieces for core's stages, one instance per request (methods on the prototype):
// undici moves the bytes straight into the client's ServerResponse (forward.ts), a request
// body is buffered when it may be retried, identity is this workload's JWT-SVID, and the
// response head gets the rule's operations and the request's RateLimit-* headers. A WebSocket
// handshake goes upstream as an upgrade (upstream-upgrade.ts) and, on 101, the client's socket
// is spliced to the upstream's (websocket-tunnel.ts).
import type { Readable } from 'node:stream';
import type { EndpointsDocument } from '../../core/endpoints/endpoints-document.ts';
import { SVID_HEADER } from '../../core/identity/jwt-svid.ts';
import { refuse } from '../../core/pipeline/answer.ts';
import type { Answer } from '../../core/pipeline/answer.ts';
import type { PipelineContext } from '../../core/pipeline/context.ts';
import type { TunnelLimits } from '../../core/http/websocket-upgrade.ts';
import type { InboundPieces, MirrorCopy, PlanePieces, TryOutcome, TryRequest, UpgradeTry } from '../../core/pipeline/pieces.ts';
import { responseHeaderOps } from '../../core/pipeline/response-header-ops.ts';
import { forward } from './forward.ts';
import type { DownstreamRequest, DownstreamResponse } from './front-door.ts';
import type { ForwardOutcome } from './forward.ts';
import type { HeaderList } from './header-list.ts';
import { setHeader } from './header-list.ts';
import { forwardedResponseHeaderList } from './hop-by-hop.ts';
import type { MeshPlane } from './mesh-plane.ts';
import { mirrorRequest } from './mirror.ts';
import { CountedBody } from './counted-body.ts';
import { bridgeGrpcWeb } from './grpc-web-bridge.ts';
import type { ResponseCodec } from './grpc-web-bridge.ts';
import { hasBody, requestBody, streamedBody } from './request-body.ts';
import { TeeBody } from './tee-body.ts';
import { REPLAYABLE_BODY_BYTES } from '../../core/resilience/retry-plan.ts';
import { upgradeResponseOf } from './upgrade-entry.ts';
import { openUpgrade, upgradeTarget } from './upstream-upgrade.ts';
import type { UpgradeTarget } from './upstream-upgrade.ts';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class MeshPieces implements PlanePieces<void> {
  readonly plane: MeshPlane;
  readonly req: DownstreamRequest;
  readonly res: DownstreamResponse;
  readonly headers: HeaderList;
  readonly counters: MeshPlane['counters'];
  readonly authn: { jwks: MeshPlane['jwks'] };
  readonly pools: MeshPlane['pools'];
  readonly observer: MeshPlane['pipelineObserver'];
  readonly now = Date.now;
  readonly random = Math.random;
  readonly sleep = sleep;
  inbound?: InboundPieces;
  /** Set once the context exists (the pieces are made first). */
  c!: PipelineContext<void>;
  /** The Host sent upstream when no rewrite names one: the authority the app named (outbound), the client's Host (inbound). */
  host: string | undefined;
  #body: Buffer | Readable | null = null;
  #tee: TeeBody | undefined;
  #hostSet = false;

  constructor(plane: MeshPlane, req: DownstreamRequest, res: DownstreamResponse, headers: HeaderList, host: string | undefined) {
    this.plane = plane;
    this.req = req;
    this.res = res;
    this.headers = headers;
    this.host = host;
    this.counters = plane.counters;
    this.authn = { jwks: plane.jwks };
    this.pools = plane.pools;
    this.observer = plane.pipelineObserver;
  }

  registered(): EndpointsDocument | undefined {
    return this.plane.view.endpoints();
  }

  /**
   * A client that sent `Expect: 100-continue` is told to send its body only now, once every
   * stage has let the request through (front-door.ts keeps Node from answering it at once):
   * a refused or oversize request never makes the client upload.
   */
  #continue(): void {
    if (this.req.headers.expect?.toLowerCase() === '100-continue' && !this.res.headersSent) this.res.writeContinue();
  }

  body(): Promise<boolean> {
    this.#continue();
    return requestBody(this.req, this.c.maxRequestBytes).then((b) => {
      this.#body = b.body;
      // Of unknown length (chunked, HTTP/2): streamed with a copy kept for a retry (tee-body.ts).
      if (!b.replayable && this.req.headers['content-length'] === undefined) this.#tee = new TeeBody(b.body, REPLAYABLE_BODY_BYTES);
      return b.replayable;
    });
  }

  replayableNow(): boolean {
    return this.#tee?.complete() === true;
  }

  /** The response head as the client gets it: hop-by-hop cut, the rule's operations, the request's own headers. */
  responseHeaders(raw: readonly (Buffer | string)[]): string[] {
    const out = forwardedResponseHeaderList(raw, responseHeaderOps(this.c));
    for (const [name, value] of this.c.responseHeaders) {
      if (name === 'vary') out.push(name, value);
      else setHeader(out, name, value);
    }
    return out;
  }

  #target(): { path: string; headers: string[] } {
    const c = this.c;
    if (!this.#hostSet) {
      this.#hostSet = true;
      const host = c.upstreamHost ?? this.host;
      if (host !== undefined) this.headers.list.push('host', host);
    }
    return { path: c.request.rawQuery ? `${c.upstreamPath}?${c.request.rawQuery}` : c.upstreamPath, headers: this.headers.list };
  }

  #outcome(o: ForwardOutcome): TryOutcome<void> {
    if (o.kind === 'sent') return { kind: 'committed', status: o.status, value: undefined, complete: o.complete };
    if (o.kind === 'dropped') return o;
    if (this.#body instanceof CountedBody && this.#body.exceeded) return { kind: 'oversize', limit: this.#body.limit };
    if (this.res.destroyed) return { kind: 'abandoned' }; // the client went away; nobody to answer
    return o.wrongPeer ? { kind: 'failed', error: o.error, message: o.message, wrongPeer: true } : { kind: 'failed', error: o.error, message: o.message };
  }

  async tryOnce(t: TryRequest): Promise<TryOutcome<void>> {
    const { service, endpoint: ep } = t;
    const upstreams = this.plane.upstreams;
    const upstream = upstreams.forEndpoint(service, ep, t.registered, this.req.httpVersionMajor === 2);
    this.plane.observer.transport?.(this.plane.direction, upstreams.isMtls(upstream) ? 'mtls' : 'plaintext');
    const { path, headers } = this.#target();
    const o = await forward(
      upstream,
      { method: this.req.method ?? 'GET', path, headers, body: this.#tee ? this.#tee.next() : this.#body, timeoutMs: t.timeoutMs, commit: t.commit, responseHeaders: (raw) => this.responseHeaders(raw) },
      this.res,
    );
    return this.#outcome(o);
  }

  tryUpgrade(t: UpgradeTry): Promise<TryOutcome<void>> {
    const target = upgradeTarget(this.plane.view.tls(), t.endpoint.address, t.endpoint.port, t.service, t.registered);
    this.plane.observer.transport?.(this.plane.direction, target.connect ? 'mtls' : 'plaintext');
    return this.#upgrade(target, t.timeoutMs, t.commit, t.tunnel);
  }

  #upgrade(target: UpgradeTarget, timeoutMs: number, commit: (status: number) => boolean, tunnel: TunnelLimits): Promise<TryOutcome<void>> {
    const { path, headers } = this.#target();
    const r = { method: 'GET', path, headers, body: null, timeoutMs, commit, responseHeaders: (raw: readonly (Buffer | string)[]) => this.responseHeaders(raw) };
    // c.upgrade is set only for a request that came in through the 'upgrade' event.
    const res = upgradeResponseOf(this.req);
    const client = res?.socket;
    if (!res || !client) return Promise.resolve({ kind: 'failed', error: 'reset', message: 'the request did not come in as an HTTP/1.1 upgrade' });
    return openUpgrade(target, r, res, (upstream) => this.plane.tunnels.open(client, upstream, tunnel)).then((o) => this.#outcome(o));
  }

  mirror(m: MirrorCopy): void {
    const { path, headers } = this.#target();
    mirrorRequest(this.plane, this.c.runtime, m, { method: this.req.method ?? 'GET', path, headers, body: this.#body as Buffer | null, http2: this.req.httpVersionMajor === 2 });
  }

  /** This workload's JWT-SVID for the backend. With an X.509-SVID the hops are mTLS and need none (a control outage longer than a JWT-SVID's life must not stop them). */
  identity(c: PipelineContext, audience: string): Promise<Answer | undefined> {
    const view = this.plane.view;
    return view.jwtSvid(audience).then(
      (svid) => {
        c.upstreamHeaders.set(SVID_HEADER, svid);
        return undefined;
      },
      (e: unknown) => (view.tls() ? undefined : refuse('no_identity', `this workload has no identity to call ${c.backend?.service.id ?? audience} with: ${(e as Error).message}`)),
    );
  }

  /** Inbound: the request to the app, streamed both ways (`timeoutMs`: the wait for its head, 0 = none); `grpcWeb`: a gRPC-Web call bridged to the app's native gRPC. */
  toApp(app: Parameters<typeof forward>[0], at: string, timeoutMs: number, grpcWeb = false): Promise<TryOutcome<void>> {
    const req = this.req;
    this.c.upstream = at;
    this.#continue();
    const { path, headers } = this.#target();
    let body: Readable | null = hasBody(req) ? streamedBody(req, this.c.maxRequestBytes) : null;
    this.#body = body; // counted as the client sent it, before any gRPC-Web decoding
    let codec: ResponseCodec | undefined;
    if (grpcWeb) ({ body, codec } = bridgeGrpcWeb(req.headers['content-type'] ?? '', headers, body));
    return forward(app, { method: req.method ?? 'GET', path, headers, body, timeoutMs, commit: () => true, responseHeaders: (raw) => this.responseHeaders(raw), ...(codec ? { codec } : {}) }, this.res).then((o) =>
      this.#outcome(o),
    );
  }

  /** Inbound: a WebSocket handshake to the app (`origin`: its plain HTTP address). */
  upgradeToApp(origin: string, at: string, tunnel: TunnelLimits): Promise<TryOutcome<void>> {
    this.c.upstream = at;
    return this.#upgrade({ origin }, 0, () => true, tunnel);
  }
}
