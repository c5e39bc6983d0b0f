// Test support for core's pipeline stages, in process: a SnapshotRuntime compiled from policy
// YAML, a RequestView, and fake PlanePieces: an injected clock, a scripted `random`, a
// `sleep` that moves the fake clock without waiting, memory counter stores, a `tryOnce`
// that answers from a script per endpoint and records every try, a recording observer, and
// a Web Headers object as the upstream headers. No sockets, no real timers.
import { JwksCache } from '../../core/authn/jwks-cache.ts';
import { wellKnownPort } from '../../core/http/listener-port.ts';
import type { EndpointsDocument } from '../../core/endpoints/endpoints-document.ts';
import { EndpointPools } from '../../core/lb/endpoint-pools.ts';
import { staticEndpointId } from '../../core/lb/select-backend.ts';
import type { Answer } from '../../core/pipeline/answer.ts';
import type { PipelineContext, Plane, RequestView } from '../../core/pipeline/context.ts';
import { createContext } from '../../core/pipeline/create-context.ts';
import type { TunnelLimits } from '../../core/http/websocket-upgrade.ts';
import type { InboundPieces, MirrorCopy, PipelineObserver, PlanePieces, TryOutcome, TryRequest, UpgradeTry, UpstreamFailure, Verified } from '../../core/pipeline/pieces.ts';
import type { CounterStore } from '../../core/ratelimit/counter-store.ts';
import { MemoryCounterStore } from '../../core/ratelimit/memory-counter-store.ts';
import { TIMEOUT_HEADER } from '../../core/resilience/caller-timeout.ts';
import type { RetryRefusal } from '../../core/resilience/retry-plan.ts';
import { buildSnapshotRuntime } from '../../core/runtime/snapshot-runtime.ts';
import type { SnapshotRuntime } from '../../core/runtime/snapshot-runtime.ts';
import { buildSnapshot } from '../../core/snapshot/build.ts';
import { compileValid, doc } from './compile-yaml.ts';

export { doc };

/** The fake clock's reading when a fixture starts (ms; any origin works, one clock per fixture). */
export const T0 = 1_750_000_000_000;
export const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

/** Compiles policy YAML (one text, or `{ file: text }`) into the runtime a data plane would hold. */
export async function runtimeOf(policy: string | Record<string, string>): Promise<SnapshotRuntime> {
  return buildSnapshotRuntime(await buildSnapshot(compileValid(policy)));
}

/** A Mesh document (trust domain weft.local), with extra spec lines. */
export function meshDoc(extra = ''): string {
  return doc('Mesh', 'weft', `trustDomain: weft.local\n${extra}`);
}

/** The Mesh, Service `api` (one endpoint, 10.0.0.1) and Route `api` on api.example.com with `rules` (YAML under `rules:`). */
export function apiPolicy(rules: string): string {
  return [meshDoc(), doc('Service', 'api', 'port: 8080\nendpoints:\n  - address: 10.0.0.1'), doc('Route', 'api', `edge:\n  hosts: [api.example.com]\nrules:\n${rules}`)].join('---\n');
}

export interface RequestSpec {
  method?: string;
  /** Route host (lower-case, no port); `api.example.com` by default. */
  host?: string;
  /** The raw target as sent: path, with `?query` if any. */
  path?: string;
  headers?: Record<string, string>;
  clientIp?: string | null;
  scheme?: string;
  /** `host[:port]`; the host by default. */
  authority?: string;
  /** The listener's port; the scheme's well-known port by default. */
  listenerPort?: number | null;
  tlsPeer?: string | null;
}

/** The request as an adapter would describe it to the stages. */
export function requestView(r: RequestSpec = {}): RequestView {
  const target = r.path ?? '/';
  const q = target.indexOf('?');
  const rawPath = q < 0 ? target : target.slice(0, q);
  const rawQuery = q < 0 ? '' : target.slice(q + 1);
  const host = r.host ?? 'api.example.com';
  const headers = new Headers(r.headers ?? {});
  return {
    method: r.method ?? 'GET',
    host,
    rawPath,
    rawQuery,
    query: new URLSearchParams(rawQuery),
    headers,
    clientIp: r.clientIp === undefined ? '203.0.113.7' : r.clientIp,
    scheme: r.scheme ?? 'https',
    authority: r.authority ?? host,
    listenerPort: r.listenerPort === undefined ? (wellKnownPort(r.scheme ?? 'https') ?? null) : r.listenerPort,
    tlsPeer: r.tlsPeer ?? null,
    // As Node's server takes it: an upgrade when Connection names it.
    upgrade: /(^|,)\s*upgrade\s*(,|$)/i.test(headers.get('connection') ?? '') ? headers.get('upgrade') : null,
  };
}

/** A value returned by `random()`, in order; past the end, `fallback`. Values can be added later. */
export class ScriptedRandom {
  readonly values: number[];
  fallback: number;
  calls = 0;

  constructor(values: number[] = [], fallback = 0) {
    this.values = [...values];
    this.fallback = fallback;
  }

  next = (): number => {
    this.calls++;
    return this.values.length > 0 ? (this.values.shift() as number) : this.fallback;
  };

  /** Replaces what is left of the script. */
  script(values: number[]): void {
    this.values.splice(0, this.values.length, ...values);
  }
}

/**
 * One scripted try. A number or `{ status }` is a response head: committed or dropped as the
 * stage's `commit()` decides (`grpcStatus`: the head is a gRPC trailers-only answer). `{ fail }` is a try with no response (a timeout takes the try's
 * whole timeout on the fake clock unless `takesMs` says otherwise). A function answers
 * itself (e.g. a promise the test resolves later).
 */
export type ScriptedTry =
  | number
  | { status: number; grpcStatus?: number; takesMs?: number; complete?: boolean }
  | { fail: UpstreamFailure; message?: string; wrongPeer?: boolean; takesMs?: number }
  | 'abandon'
  | ((t: TryRequest) => Promise<TryOutcome<string>>);

export interface TryRecord {
  /** `address:port` of the endpoint tried. */
  endpoint: string;
  service: string;
  registered: boolean;
  timeoutMs: number;
  /** Fake clock when the try started. */
  at: number;
  /** What the try came to (committed, dropped, failed, abandoned). */
  kind?: TryOutcome<string>['kind'];
  status?: number;
  /** The upstream request's `grpc-timeout` when the try started, if set. */
  grpcTimeout?: string;
  /** A WebSocket handshake's try (tryUpgrade): the limits the open socket was given. */
  tunnel?: TunnelLimits;
}

/** Every call a PipelineObserver gets, in arrays. */
export class RecordingPipelineObserver implements PipelineObserver {
  readonly retries: string[] = [];
  readonly upstreamErrors: { service: string; kind: UpstreamFailure; wrongPeer: boolean }[] = [];
  readonly ejections: { service: string; endpoint: string }[] = [];
  readonly circuitOpens: { service: string; limit: string }[] = [];
  readonly rateLimits: string[] = [];
  readonly storeFailures: { policy: string; limit: string; error: unknown }[] = [];
  readonly retryRefusals: { service: string; reason: RetryRefusal }[] = [];

  retry(_c: PipelineContext, service: string): void {
    this.retries.push(service);
  }
  retryRefused(_c: PipelineContext, service: string, reason: RetryRefusal): void {
    this.retryRefusals.push({ service, reason });
  }
  upstreamError(_c: PipelineContext, service: string, kind: UpstreamFailure, wrongPeer: boolean): void {
    this.upstreamErrors.push({ service, kind, wrongPeer });
  }
  ejection(service: string, endpoint: string): void {
    this.ejections.push({ service, endpoint });
  }
  circuitOpen(service: string, limit: 'maxConnections' | 'maxPendingRequests'): void {
    this.circuitOpens.push({ service, limit });
  }
  rateLimited(_c: PipelineContext, policy: string): void {
    this.rateLimits.push(policy);
  }
  rateLimitStoreFailed(policy: string, limit: string, error: unknown): void {
    this.storeFailures.push({ policy, limit, error });
  }
}

export type EdgeUserVerified = Verified<{ requestPrincipal: string; claims: Record<string, unknown> }>;

export interface InboundSpec {
  /** JWT-SVID → its verification; an unknown token is refused as malformed. */
  svids?: Record<string, Verified<string>>;
  /** Edge token → its verification given the verified caller (or null). Unknown: malformed. */
  edgeTokens?: Record<string, (caller: string | null) => EdgeUserVerified>;
  edgeIssuer?: string;
  mtlsCapable?: boolean;
  /** The app's answer (committed 200 by default); a function gets the wait it was given for the answer. */
  toApp?: TryOutcome<unknown> | ((timeoutMs: number) => Promise<TryOutcome<unknown>>);
}

export interface FakeInbound extends InboundPieces {
  readonly svidChecks: string[];
  readonly edgeTokenChecks: { token: string; caller: string | null }[];
  appCalls: number;
  /** The wait for the app's answer each call was given (ms; 0 = none). */
  appTimeouts: number[];
  /** The limits of each WebSocket handshake passed to the app (upgradeToApp). */
  appUpgrades: TunnelLimits[];
}

function fakeInbound(spec: InboundSpec): FakeInbound {
  const inbound: FakeInbound = {
    svidChecks: [],
    edgeTokenChecks: [],
    appCalls: 0,
    appTimeouts: [],
    appUpgrades: [],
    verifySvid: (token) => {
      inbound.svidChecks.push(token);
      return Promise.resolve(spec.svids?.[token] ?? { ok: false, code: 'malformed', message: 'not a JWT-SVID' });
    },
    verifyEdgeToken: (token, caller) => {
      inbound.edgeTokenChecks.push({ token, caller });
      const verify = spec.edgeTokens?.[token];
      return Promise.resolve(verify ? verify(caller) : { ok: false, code: 'malformed', message: 'not an edge token' });
    },
    edgeIssuer: () => spec.edgeIssuer ?? GATEWAY_ID,
    mtlsCapable: () => spec.mtlsCapable ?? false,
    toApp: (timeoutMs) => {
      inbound.appCalls++;
      inbound.appTimeouts.push(timeoutMs);
      const a = spec.toApp ?? { kind: 'committed', status: 200, value: 'app 200' };
      return typeof a === 'function' ? a(timeoutMs) : Promise.resolve(a);
    },
    upgradeToApp: (tunnel) => {
      inbound.appUpgrades.push(tunnel);
      return inbound.toApp(0);
    },
  };
  return inbound;
}

export const GATEWAY_ID = 'spiffe://weft.local/ns/edge/sa/gateway';

export interface FixtureOptions {
  runtime: SnapshotRuntime;
  plane?: Plane;
  request?: RequestSpec;
  /** Inbound: this workload's service id. */
  service?: string;
  /** Fake clock at the start; T0 by default. */
  now?: number;
  /** When the request arrived; the clock's start by default. */
  startedAt?: number;
  random?: number[];
  /** Tries in order, whatever the endpoint; or per endpoint (`address:port`). Past the script: 200. */
  tries?: ScriptedTry[] | Record<string, ScriptedTry[]>;
  /** What body() answers: whether the body may be sent more than once. */
  replayable?: boolean | (() => boolean | Promise<boolean>);
  registered?: EndpointsDocument | (() => EndpointsDocument | undefined | Promise<EndpointsDocument | undefined>);
  /** Shared across fixtures to model one proxy serving several requests. */
  pools?: EndpointPools;
  counters?: { local: CounterStore; global: CounterStore };
  identity?: (c: PipelineContext, audience: string) => Answer | undefined | Promise<Answer | undefined>;
  inbound?: InboundSpec;
  /** The upstream request's headers; a copy of the request's by default. */
  upstreamHeaders?: Headers;
}

export interface Fixture {
  c: PipelineContext<string>;
  pieces: PlanePieces<string>;
  clock: { now: number };
  random: ScriptedRandom;
  /** Every sleep asked for, in ms (each moved the clock that far). */
  sleeps: number[];
  tries: TryRecord[];
  /** The upstream request's `x-weft-timeout-ms` as each try started (null: not set). */
  toldTimeouts: (string | null)[];
  mirrors: { service: string; endpoint: string; registered: boolean; timeoutMs: number }[];
  /** Audiences identity() was asked for. */
  identities: string[];
  observer: RecordingPipelineObserver;
  /** The upstream headers (c.upstreamHeaders). */
  headers: Headers;
  inbound: FakeInbound | undefined;
  bodyCalls: number;
}

/** JWKS are inline in these tests: a fetch of a remote one fails. */
const noFetch: typeof fetch = () => Promise.reject(new Error('test: no network'));

export function fixture(o: FixtureOptions): Fixture {
  const clock = { now: o.now ?? T0 };
  const random = new ScriptedRandom(o.random ?? []);
  const sleeps: number[] = [];
  const tries: TryRecord[] = [];
  const toldTimeouts: (string | null)[] = [];
  const mirrors: Fixture['mirrors'] = [];
  const identities: string[] = [];
  const observer = new RecordingPipelineObserver();
  const now = () => clock.now;
  const queues = new Map<string, ScriptedTry[]>();
  const ordered: ScriptedTry[] | undefined = Array.isArray(o.tries) ? [...o.tries] : undefined;
  if (o.tries && !Array.isArray(o.tries)) for (const [k, v] of Object.entries(o.tries)) queues.set(k, [...v]);

  async function tryOnce(t: TryRequest | UpgradeTry): Promise<TryOutcome<string>> {
    const endpoint = staticEndpointId(t.endpoint.address, t.endpoint.port);
    const record: TryRecord = { endpoint, service: t.service.id, registered: t.registered, timeoutMs: t.timeoutMs, at: clock.now, ...('tunnel' in t ? { tunnel: t.tunnel } : {}) };
    const grpcTimeout = f.headers.get('grpc-timeout');
    if (grpcTimeout !== null) record.grpcTimeout = grpcTimeout;
    tries.push(record);
    toldTimeouts.push(f.headers.get(TIMEOUT_HEADER));
    const next: ScriptedTry = (ordered ? ordered.shift() : queues.get(endpoint)?.shift()) ?? 200;
    let outcome: TryOutcome<string>;
    if (typeof next === 'function') outcome = await next(t);
    else if (next === 'abandon') outcome = { kind: 'abandoned' };
    else if (typeof next === 'number' || 'status' in next) {
      const head: { status: number; grpcStatus?: number; takesMs?: number; complete?: boolean } = typeof next === 'number' ? { status: next } : next;
      clock.now += head.takesMs ?? 0;
      outcome = t.commit(head.status, head.grpcStatus)
        ? { kind: 'committed', status: head.status, value: `${endpoint} ${head.status}`, ...(head.complete !== undefined ? { complete: head.complete } : {}) }
        : { kind: 'dropped', status: head.status };
    } else {
      clock.now += next.takesMs ?? (next.fail === 'timeout' ? t.timeoutMs : 0);
      outcome = { kind: 'failed', error: next.fail, message: next.message ?? `${next.fail} (test)`, ...(next.wrongPeer ? { wrongPeer: true } : {}) };
    }
    record.kind = outcome.kind;
    if (outcome.kind === 'committed' || outcome.kind === 'dropped') record.status = outcome.status;
    return outcome;
  }

  const f = {} as Fixture;
  const pieces: PlanePieces<string> = {
    now,
    random: random.next,
    sleep: (ms) => {
      sleeps.push(ms);
      clock.now += ms;
      return Promise.resolve();
    },
    counters: o.counters ?? { local: new MemoryCounterStore(), global: new MemoryCounterStore() },
    authn: { jwks: new JwksCache({ fetch: noFetch, now }) },
    pools: o.pools ?? new EndpointPools({ now, random: random.next }),
    registered: () => (typeof o.registered === 'function' ? o.registered() : o.registered),
    body: () => {
      f.bodyCalls++;
      const r = o.replayable ?? true;
      return typeof r === 'function' ? r() : r;
    },
    tryOnce,
    // Scripted like tryOnce; the record carries the tunnel's limits.
    tryUpgrade: tryOnce,
    mirror: ({ service, endpoint, registered, timeoutMs }: MirrorCopy) => {
      mirrors.push({ service: service.id, endpoint: staticEndpointId(endpoint.address, endpoint.port), registered, timeoutMs });
    },
    identity: (c, audience) => {
      identities.push(audience);
      return o.identity ? o.identity(c, audience) : undefined;
    },
    observer,
  };
  const inbound = o.inbound || o.plane === 'inbound' ? fakeInbound(o.inbound ?? {}) : undefined;
  if (inbound) pieces.inbound = inbound;
  const request = requestView(o.request);
  const headers = o.upstreamHeaders ?? new Headers(request.headers as Headers);
  const c = createContext<string>({
    plane: o.plane ?? 'edge',
    runtime: o.runtime,
    request,
    pieces,
    upstreamHeaders: headers,
    traceparent: TRACEPARENT,
    startedAt: o.startedAt ?? clock.now,
    ...(o.service !== undefined ? { service: o.service } : {}),
  });
  Object.assign(f, { c, pieces, clock, random, sleeps, tries, toldTimeouts, mirrors, identities, observer, headers, inbound, bodyCalls: 0 });
  return f;
}

/** Runs stages in order until one answers (awaiting those that are async). */
export async function runAll(c: PipelineContext, stages: readonly ((c: PipelineContext) => Answer | undefined | Promise<Answer | undefined>)[]): Promise<Answer | undefined> {
  for (const stage of stages) {
    const a = await stage(c);
    if (a) return a;
  }
  return undefined;
}

/** An endpoints document of registered instances (`service id → instances`). */
export function endpointsDoc(endpoints: EndpointsDocument['endpoints'], version = 'test-1'): EndpointsDocument {
  return { version, generatedAt: new Date(T0).toISOString(), endpoints };
}

/** A promise the test settles later, e.g. a try still in flight. */
export function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
