// The outbound proxy: the app's calls to other mesh services (`HTTP_PROXY=http://127.0.0.1:15001`
// or a plain `Host: reviews` request). The pipeline, in order:
//   1. destination service (registry-only) and path normalization   outbound-route.ts
//   2. mesh route match, or the service's direct rule               outbound-route.ts
//   3. fault injection (delay, abort), redirect                     here
//   4. headers: hop-by-hop cut, identity headers the app sent cut, forwarding and trace
//      headers, rewrite, the rule's request header operations       here / hop-by-hop.ts
//   5. weighted backend (canary, header routing), this workload's JWT-SVID for it
//   6. body (buffered when replayable), mirror copy                 request-body.ts / mirror.ts
//   7. endpoint, circuit breaker, upstream exchange with timeouts and retries
//                                                                   upstream-exchange.ts
import type { IncomingMessage, ServerResponse } from 'node:http';
import { redirectLocation, rewritePath } from '../../core/http/redirect-rewrite.ts';
import { selectBackend } from '../../core/lb/select-backend.ts';
import { decideFault } from '../../core/resilience/fault.ts';
import type { ProxyListener, ProxyObserver, SidecarView } from '../types.ts';
import { MESH_HEADERS } from '../types.ts';
import { EndpointPools } from './endpoint-pools.ts';
import { applyHeaderOpsToList, forwardedRequestHeaders, pushForwardedFor } from './hop-by-hop.ts';
import { replyError } from './json-reply.ts';
import { listen } from './listener.ts';
import { continueTrace } from '../../core/http/traceparent.ts';
import { mirrorRequest } from './mirror.ts';
import { resolveOutboundRoute } from './outbound-route.ts';
import type { OutboundTarget } from './outbound-route.ts';
import { requestBody } from './request-body.ts';
import { headerView, reportWhenDone, setTrace, startEntry } from './request-log.ts';
import { exchange } from './upstream-exchange.ts';
import { UpstreamPools } from './upstream-pools.ts';

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

interface Outbound {
  view: SidecarView;
  observer: ProxyObserver;
  pools: EndpointPools;
  upstreams: UpstreamPools;
}

function upstreamHeaders(req: IncomingMessage, t: OutboundTarget, traceparent: string): string[] {
  const { list } = forwardedRequestHeaders(req.rawHeaders, OUTBOUND_DROP);
  list.push('host', t.rule.rewrite?.host ?? t.authority);
  pushForwardedFor(list, req);
  if (req.headers['x-forwarded-proto'] === undefined) list.push('x-forwarded-proto', 'http');
  list.push('traceparent', traceparent);
  applyHeaderOpsToList(list, t.rule.requestHeaders);
  return list;
}

async function handle(o: Outbound, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const startedAt = Date.now();
  const entry = startEntry('outbound', req, '', '');
  reportWhenDone(o.observer, entry, res, performance.now());
  const runtime = o.view.runtime();
  if (!runtime) {
    entry.reason = 'no_snapshot';
    return replyError(res, 503, 'no_snapshot', 'the sidecar has no policy snapshot yet');
  }
  const routed = resolveOutboundRoute(runtime, o.view.self.namespace, req);
  entry.authority = routed.ok ? routed.target.authority : routed.authority;
  entry.path = routed.ok ? routed.target.path : routed.path;
  if (!routed.ok) {
    entry.reason = routed.code;
    return replyError(res, routed.status, routed.code, routed.message);
  }
  const t = routed.target;
  const rule = t.rule;
  entry.service = t.serviceId;
  if (t.route) entry.route = `Route:${t.route.id}#${rule.name}`;

  if (rule.fault) {
    const { delayMs, abortStatus } = decideFault(rule.fault, Math.random);
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
    if (abortStatus !== null) {
      entry.reason = 'fault_injected';
      return replyError(res, abortStatus, 'fault_injected', 'fault injected by route policy');
    }
  }
  if (rule.redirect) {
    res.writeHead(rule.redirect.statusCode, { location: redirectLocation(rule.redirect, `http://${t.authority}${t.path}${t.query ? `?${t.query}` : ''}`), 'content-length': 0 });
    return void res.end();
  }

  const trace = continueTrace(headerView(req));
  setTrace(entry, trace);
  const headers = upstreamHeaders(req, t, trace.traceparent);
  const upstreamPath = (rule.rewrite ? rewritePath(t.path, t.matchedPrefix, rule.rewrite) : t.path) + (t.query ? `?${t.query}` : '');

  const backend = selectBackend(rule, Math.random);
  const service = backend && runtime.services.get(backend.service);
  if (!backend || !service) {
    entry.reason = 'no_backend';
    return replyError(res, 503, 'no_backend', 'the route has no backend with weight > 0');
  }
  entry.service = service.id;
  try {
    // The destination's SPIFFE ID (our SVID's audience), from the snapshot: its trust domain is ours (the watcher refuses others).
    headers.push(MESH_HEADERS.svid, await o.view.jwtSvid(runtime.spiffeIds.get(service.id) as string));
  } catch (e) {
    // With an X.509-SVID the sidecar hops are mTLS and need no JWT-SVID (a control outage
    // longer than a JWT-SVID's life must not stop them); without one there is no identity.
    if (!o.view.tls()) {
      entry.reason = 'no_identity';
      return replyError(res, 503, 'no_identity', `this workload has no identity to call ${service.id} with: ${(e as Error).message}`);
    }
  }

  const { body, replayable } = await requestBody(req);
  const pool = o.pools.pool(runtime.version, service, backend.subset, o.view.endpoints());
  if (rule.mirror && replayable && Math.random() * 100 < rule.mirror.percent)
    mirrorRequest(o.view, runtime, rule.mirror, { method: req.method ?? 'GET', path: upstreamPath, headers, body, timeoutMs: rule.timeoutMs }, o.pools, o.upstreams);
  await exchange({ req, res, entry, startedAt, rule, service, pool, path: upstreamPath, headers, body, replayable }, o.pools, o.upstreams, o.observer);
}

export function startOutbound(options: { view: SidecarView; observer: ProxyObserver; host?: string; port: number }): Promise<ProxyListener> {
  const upstreams = new UpstreamPools(() => options.view.tls());
  const pools = new EndpointPools();
  pools.onRebuild = () => upstreams.retireUnused();
  const o: Outbound = { view: options.view, observer: options.observer, pools, upstreams };
  return listen(options.host ?? '127.0.0.1', options.port, (req, res) => handle(o, req, res), () => upstreams.close());
}
