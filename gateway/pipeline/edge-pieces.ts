// The gateway's pieces for core's stages: Workers `fetch` moves the bytes, counters live in
// the isolate (local) and in a Durable Object per key (global), endpoints and the JWKS cache
// are per isolate, identity comes from the edge signer and control. One instance per request,
// methods on the prototype (no closures made per request). A WebSocket handshake is a `fetch`
// with `Upgrade: websocket`; its socket is relayed (websocket-relay.ts).
import { JwksCache } from '../../core/authn/jwks-cache.ts';
import { parseGrpcStatus } from '../../core/grpc/status.ts';
import { edgeUpstreamTarget, parseZoneNames } from '../../core/http/edge-upstream-target.ts';
import { EDGE_TOKEN_HEADER } from '../../core/identity/edge-token.ts';
import { SVID_HEADER } from '../../core/identity/jwt-svid.ts';
import { EndpointPools } from '../../core/lb/endpoint-pools.ts';
import type { LbEndpoint } from '../../core/lb/picker.ts';
import type { Answer } from '../../core/pipeline/answer.ts';
import type { PipelineContext } from '../../core/pipeline/context.ts';
import type { MirrorCopy, PipelineObserver, PlanePieces, TryOutcome, TryRequest, UpgradeTry } from '../../core/pipeline/pieces.ts';
import { endpointScheme } from '../../core/policy/service/protocol.ts';
import type { CompiledService } from '../../core/policy/service/compile.ts';
import { MemoryCounterStore } from '../../core/ratelimit/memory-counter-store.ts';
import { REPLAYABLE_BODY_BYTES } from '../../core/resilience/retry-plan.ts';
import type { EndpointsDocument } from '../../core/endpoints/endpoints-document.ts';
import type { GatewayEnv } from '../env.ts';
import { edgeIdentity } from '../identity/edge-identity.ts';
import { DurableObjectCounterStore } from '../rate-limit/global-rate-limiter.ts';
import { registeredEndpoints } from '../snapshot/endpoints-holder.ts';
import { CountedBody } from './counted-body.ts';
import { relayWebSocket } from './websocket-relay.ts';
import type { RelayClosed } from './websocket-relay.ts';

/**
 * Handshake headers workerd writes itself on the upstream handshake (its own key, version and
 * extensions; it negotiates compression with each side apart). Subprotocols pass end to end.
 */
const HANDSHAKE_OWN = ['sec-websocket-key', 'sec-websocket-version', 'sec-websocket-extensions'];
/** And on the 101 it gives the client. */
const SWITCH_OWN = ['sec-websocket-accept', 'sec-websocket-extensions'];

function failure(e: unknown, ms: number): TryOutcome<Response> {
  const name = (e as Error).name;
  if (name === 'TimeoutError' || name === 'AbortError') return { kind: 'failed', error: 'timeout', message: ms > 0 ? `upstream did not answer within ${ms} ms` : 'the upstream request was aborted' };
  const text = String(e);
  return { kind: 'failed', error: /reset|closed/i.test(text) ? 'reset' : 'connect-failure', message: text };
}

/** The signal a subrequest is aborted by: its time limit (0: none) and, when given, another reason to stop. */
function trySignal(timeoutMs: number, also?: AbortSignal): AbortSignal | undefined {
  const timer = timeoutMs > 0 ? AbortSignal.timeout(timeoutMs) : undefined;
  if (timer && also) return AbortSignal.any([timer, also]);
  return timer ?? also;
}

/** Per isolate: load-balancing state, local buckets, the JWKS cache. */
const pools = new EndpointPools();
const local = new MemoryCounterStore();
let stores: { local: MemoryCounterStore; global: DurableObjectCounterStore; namespace: GatewayEnv['RATE_LIMITS'] } | undefined;
let jwks: JwksCache | undefined;
let zones: { from: string | undefined; names: string[] } | undefined;

/** The ZONE_NAMES binding, parsed once per isolate. */
function zoneNames(env: GatewayEnv): string[] {
  if (zones === undefined || zones.from !== env.ZONE_NAMES) zones = { from: env.ZONE_NAMES, names: parseZoneNames(env.ZONE_NAMES) };
  return zones.names;
}

function jwksCache(env: GatewayEnv): JwksCache {
  const seconds = (v: string | undefined) => (v && Number(v) > 0 ? Number(v) * 1000 : undefined);
  const ttlMs = seconds(env.JWKS_TTL_SECONDS);
  const graceMs = seconds(env.JWKS_GRACE_SECONDS);
  jwks ??= new JwksCache({ fetch: (input, init) => fetch(input, init), ...(ttlMs ? { ttlMs, minRefreshIntervalMs: Math.min(ttlMs, 30_000) } : {}), ...(graceMs ? { graceMs } : {}) });
  return jwks;
}

const observer: PipelineObserver = {
  rateLimitStoreFailed: (policy, limit, error) => console.error(JSON.stringify({ level: 'warn', msg: 'rate-limit store failed; limit skipped', policy, limit, error: String(error) })),
};

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class EdgePieces implements PlanePieces<Response> {
  readonly request: Request;
  readonly env: GatewayEnv;
  readonly ctx: ExecutionContext;
  readonly url: URL;
  readonly counters: { local: MemoryCounterStore; global: DurableObjectCounterStore };
  readonly authn: { jwks: JwksCache; waitUntil: (p: Promise<unknown>) => void };
  readonly pools = pools;
  readonly observer = observer;
  readonly now = Date.now;
  readonly random = Math.random;
  readonly sleep = sleep;
  /** Set once the context exists (the pieces are made first). */
  c!: PipelineContext<Response>;
  #body: ArrayBuffer | ReadableStream | null = null;
  #counted: CountedBody | undefined;
  /** When the relayed WebSocket of this request closed, and how (the access log waits for it). */
  tunnel: Promise<RelayClosed & { at: number }> | undefined;

  constructor(request: Request, env: GatewayEnv, ctx: ExecutionContext, url: URL) {
    this.request = request;
    this.env = env;
    this.ctx = ctx;
    this.url = url;
    if (stores?.namespace !== env.RATE_LIMITS) stores = { local, global: new DurableObjectCounterStore(env.RATE_LIMITS), namespace: env.RATE_LIMITS };
    this.counters = stores;
    this.authn = { jwks: jwksCache(env), waitUntil: (p) => ctx.waitUntil(p) };
  }

  registered(): EndpointsDocument | undefined | Promise<EndpointsDocument | undefined> {
    return registeredEndpoints(this.env, this.ctx);
  }

  /**
   * A body up to 1 MiB (declared) is buffered, so it can be retried and mirrored; a larger or
   * unsized one streams once, an unsized one counted against the route's limit.
   */
  body(): boolean | Promise<boolean> {
    const r = this.request;
    const method = r.method.toUpperCase();
    if (method === 'GET' || method === 'HEAD' || r.body === null) return true;
    const length = r.headers.get('content-length');
    const declared = Number(length ?? 'NaN');
    if (!(Number.isFinite(declared) && declared <= REPLAYABLE_BODY_BYTES)) {
      const limit = this.c.maxRequestBytes;
      this.#body = length === null && limit !== null ? (this.#counted = new CountedBody(r.body, limit)).stream : r.body;
      return false;
    }
    return r.arrayBuffer().then((b) => {
      this.#body = b;
      return true;
    });
  }

  /** The URL and fetch options of a request to `ep`: the Host its backend sees (core/http/edge-upstream-target.ts). */
  #target(service: CompiledService, ep: LbEndpoint): { url: string; cf?: RequestInitCfProperties } {
    const t = edgeUpstreamTarget({
      scheme: endpointScheme(service),
      address: ep.address,
      port: ep.port,
      host: this.c.upstreamHost ?? this.c.request.host,
      zones: zoneNames(this.env),
      pathAndQuery: `${this.c.upstreamPath}${this.url.search}`,
    });
    return t.resolveOverride === null ? { url: t.url } : { url: t.url, cf: { resolveOverride: t.resolveOverride } };
  }

  async tryOnce(t: TryRequest): Promise<TryOutcome<Response>> {
    const ms = t.timeoutMs;
    try {
      const { url, cf } = this.#target(t.service, t.endpoint);
      const response = await fetch(url, {
        ...(cf ? { cf } : {}),
        method: this.request.method,
        headers: this.c.upstreamHeaders as Headers,
        body: this.#body,
        redirect: 'manual',
        signal: trySignal(ms, this.#counted?.signal),
      });
      // fetch exposes the head's headers only: a grpc-status there is a trailers-only answer.
      if (t.commit(response.status, parseGrpcStatus(response.headers.get('grpc-status')))) return { kind: 'committed', status: response.status, value: response };
      await response.body?.cancel();
      return { kind: 'dropped', status: response.status };
    } catch (e) {
      if (this.#counted?.exceeded) return { kind: 'oversize', limit: this.#counted.limit };
      return failure(e, ms);
    }
  }

  /**
   * The handshake as a `fetch` with `Upgrade: websocket`. Its timeout bounds the wait for the
   * upstream's answer only: the timer is cleared once it comes (an abort signal left armed
   * would cut the open socket later). A 101 is relayed; any other answer is an ordinary one.
   */
  async tryUpgrade(t: UpgradeTry): Promise<TryOutcome<Response>> {
    const ms = t.timeoutMs;
    const headers = new Headers(this.c.upstreamHeaders as Headers);
    for (const name of HANDSHAKE_OWN) headers.delete(name);
    headers.set('upgrade', 'websocket');
    const abort = new AbortController();
    const timer = ms > 0 ? setTimeout(() => abort.abort(), ms) : undefined;
    let response: Response;
    try {
      const { url, cf } = this.#target(t.service, t.endpoint);
      response = await fetch(url, { ...(cf ? { cf } : {}), method: 'GET', headers, redirect: 'manual', signal: abort.signal });
    } catch (e) {
      return failure(e, ms);
    } finally {
      clearTimeout(timer);
    }
    const upstream = response.webSocket;
    if (!upstream) {
      if (t.commit(response.status)) return { kind: 'committed', status: response.status, value: response };
      await response.body?.cancel();
      return { kind: 'dropped', status: response.status };
    }
    if (!t.commit(101)) {
      upstream.accept();
      upstream.close(1001, 'retried elsewhere');
      return { kind: 'dropped', status: 101 };
    }
    let closed!: (c: RelayClosed & { at: number }) => void;
    this.tunnel = new Promise((resolve) => (closed = resolve));
    const client = relayWebSocket(upstream, t.tunnel, (c) => closed({ ...c, at: Date.now() }));
    const switched = new Headers(response.headers);
    for (const name of SWITCH_OWN) switched.delete(name);
    return { kind: 'committed', status: 101, value: new Response(null, { status: 101, headers: switched, webSocket: client }) };
  }

  /** A shadow copy: sent after the response path is decided (waitUntil); its answer and failures are discarded. */
  mirror({ service, endpoint, timeoutMs }: MirrorCopy): void {
    const headers = new Headers(this.c.upstreamHeaders as Headers);
    headers.set('x-weft-shadow', 'true');
    // The edge token and the gateway's JWT-SVID are addressed to the primary service; a shadow
    // must not be able to replay them.
    headers.delete(EDGE_TOKEN_HEADER);
    headers.delete(SVID_HEADER);
    const body = this.#body instanceof ArrayBuffer ? this.#body : null;
    const { url, cf } = this.#target(service, endpoint);
    this.ctx.waitUntil(
      fetch(url, { ...(cf ? { cf } : {}), method: this.request.method, headers, body, redirect: 'manual', signal: trySignal(timeoutMs) })
        .then((r) => r.body?.cancel())
        .catch(() => undefined),
    );
  }

  identity(c: PipelineContext, audience: string): Answer | undefined | Promise<Answer | undefined> {
    return edgeIdentity(c, this.env, audience);
  }
}
