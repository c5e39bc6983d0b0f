// The inbound proxy: traffic to this instance, passed to the app on 127.0.0.1:appPort. The
// pipeline, in order:
//   1. cut identity headers nobody outside may set (x-weft-peer-id / -principal / -claims)
//   2. path normalization (what policy sees is what the app gets; bad paths 400)
//   3. caller identity: the mTLS client certificate's SPIFFE ID (checked again against the
//      current CA bundle and its expiry: 403 when it no longer holds), else JWT-SVID; the
//      edge token; mTLS mode strict or permissive (the Service's, else the Mesh's)  inbound-identity.ts
//   4. access policy (403) and local rate limits (429)                              inbound-policy.ts
//   5. to the app, with the verified x-weft-peer-id, x-weft-principal and x-weft-claims set
//      and the SVID removed; the response streams back with RateLimit-* headers added
import type { IncomingMessage, ServerResponse } from 'node:http';
import { normalizePath, splitPathAndQuery } from '../../core/route/normalize-path.ts';
import { isMtls } from '../tls/inbound-server.ts';
import { peerOf, peerProblem } from '../tls/server-tls.ts';
import type { TlsRefusal } from '../tls/server-tls.ts';
import type { ProxyListener, ProxyObserver, SidecarView } from '../types.ts';
import { MESH_HEADERS } from '../types.ts';
import { forward } from './forward.ts';
import { forwardedRequestHeaders, forwardedResponseHeaderList, pushForwardedFor, setHeader } from './hop-by-hop.ts';
import { InboundIdentity } from './inbound-identity.ts';
import { InboundPolicy } from './inbound-policy.ts';
import { replyError } from './json-reply.ts';
import { listen } from './listener.ts';
import { continueTrace } from '../../core/http/traceparent.ts';
import { headerOf, headerView, reportWhenDone, setTrace, startEntry } from './request-log.ts';
import { newPool } from './upstream-pools.ts';

const INBOUND_DROP: ReadonlySet<string> = new Set([MESH_HEADERS.svid, MESH_HEADERS.peerId, MESH_HEADERS.principal, MESH_HEADERS.claims, 'x-forwarded-for', 'traceparent']);

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
  const appAt = `${options.app.host}:${options.app.port}`;
  const app = newPool(`http://${options.app.host.includes(':') ? `[${options.app.host}]` : options.app.host}:${options.app.port}`, undefined);
  const identity = new InboundIdentity(self);
  const policy = new InboundPolicy(serviceId);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { path: rawPath, query } = splitPathAndQuery(req.url ?? '/');
    const entry = startEntry('inbound', req, req.headers.host ?? '', rawPath);
    entry.service = serviceId;
    reportWhenDone(observer, entry, res, performance.now());
    const runtime = view.runtime();
    const bundle = view.bundle();
    if (!runtime || !bundle) {
      entry.reason = 'no_snapshot';
      return replyError(res, 503, 'no_snapshot', 'the sidecar has no policy snapshot or trust bundle yet');
    }
    const normalized = normalizePath(rawPath, runtime.snapshot.body.mesh.pathNormalization);
    if (!normalized.ok) {
      entry.reason = 'invalid_path';
      return replyError(res, 400, 'invalid_path', normalized.message);
    }
    const path = normalized.path;
    entry.path = path;

    const tls = view.tls();
    let tlsPeer: string | null = null;
    if (isMtls(req)) {
      observer.transport?.('inbound', 'mtls');
      tlsPeer = peerOf(req.socket, tls?.authorities) ?? null;
      if (tlsPeer === null) {
        const why = peerProblem(req.socket) ?? 'the connection has no verified client certificate';
        const kind = /expired/.test(why) ? 'expired' : 'untrusted';
        observer.tlsRefused?.('inbound', kind);
        options.tlsRefused?.(kind, why, `${req.socket.remoteAddress ?? ''}:${req.socket.remotePort ?? 0}`);
        entry.reason = 'peer_refused';
        return replyError(res, 403, 'forbidden', why);
      }
    } else observer.transport?.('inbound', 'plaintext');
    const strict = policy.strict(runtime);
    const who = await identity.identify(bundle, headerOf(req, MESH_HEADERS.svid), headerOf(req, MESH_HEADERS.edgeToken), strict, tlsPeer, tls !== undefined);
    if (!who.ok) {
      entry.reason = who.code ?? 'unauthenticated';
      return replyError(res, 401, who.code ?? 'unauthenticated', who.message);
    }
    const caller = who.caller;
    entry.peer = caller.peer;
    entry.principal = caller.user?.requestPrincipal ?? null;

    const verdict = await policy.check(runtime, req, path, query, caller);
    entry.route = verdict.route;
    if (!verdict.ok) {
      entry.reason = verdict.code;
      if (verdict.status === 429) observer.rateLimited('inbound', verdict.policy ?? '');
      return replyError(res, verdict.status, verdict.code, verdict.message, verdict.headers);
    }

    const trace = continueTrace(headerView(req));
    setTrace(entry, trace);
    const { list, host } = forwardedRequestHeaders(req.rawHeaders, INBOUND_DROP);
    if (host !== undefined) list.push('host', host);
    pushForwardedFor(list, req);
    list.push('traceparent', trace.traceparent);
    if (caller.peer !== null) list.push(MESH_HEADERS.peerId, caller.peer);
    if (caller.user) list.push(MESH_HEADERS.principal, caller.user.requestPrincipal, MESH_HEADERS.claims, JSON.stringify(caller.user.claims));

    entry.upstream = appAt;
    const extra = verdict.headers;
    const outcome = await forward(
      app,
      {
        method: req.method ?? 'GET',
        path: query ? `${path}?${query}` : path,
        headers: list,
        body: req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined ? req : null,
        timeoutMs: 0,
        commit: () => true,
        responseHeaders: (raw) => {
          const out = forwardedResponseHeaderList(raw, null);
          for (const name in extra) setHeader(out, name.toLowerCase(), extra[name] as string);
          return out;
        },
      },
      res,
    );
    if (outcome.kind === 'failed' && !res.destroyed) {
      observer.upstreamError('inbound', serviceId, outcome.error);
      entry.reason = 'app_unavailable';
      replyError(res, 502, 'app_unavailable', `the app at ${appAt} did not answer (${outcome.error}: ${outcome.message})`);
    }
  }

  const mtls = {
    material: () => view.tls(),
    trustDomain: () => view.self.trustDomain || undefined,
    refused: (kind: TlsRefusal, reason: string, remote: string) => {
      observer.tlsRefused?.('inbound', kind);
      options.tlsRefused?.(kind, reason, remote);
    },
  };
  return listen(options.host ?? '127.0.0.1', options.port, handle, () => app.destroy().catch(() => undefined), mtls);
}
