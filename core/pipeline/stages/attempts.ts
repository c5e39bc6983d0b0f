// The last stage of every route to a backend: the endpoint pick (the service's load balancer
// over healthy endpoints, a retry going to an endpoint not tried yet), the circuit breaker,
// and the tries through the adapter's byte mover with per-try and overall timeouts and
// retries (conditions, idempotent methods only unless allowed, backoff with jitter, within
// the retry budget). Outcomes feed outlier detection. Only a replayable body is retried or
// mirrored; a response is retried only before anything of it reached the client. The
// deadline the request came with (a gRPC call's `grpc-timeout`; in the mesh the previous
// hop's `x-weft-timeout-ms`, core/resilience/caller-timeout.ts) caps the route timeout, and
// each try tells the upstream how long it may take. A failure the rule would retry, when the
// deadline leaves no time for the retry, is answered 504: the request timed out while
// retrying (Gateway API, Envoy's global timeout), whatever the last try returned. A
// trailers-only gRPC status can be retried. A WebSocket handshake (c.upgrade) is
// tried the same way through the pieces' tryUpgrade: it has no body (always replayable), is
// never mirrored, and its tries end at the upgrade's `101`; the open socket then lives under
// the rule's websocket limits, not its timeout.
import { grpcProtocolOfRequest } from '../../grpc/protocol.ts';
import { httpStatusOfGrpc } from '../../grpc/status.ts';
import { formatGrpcTimeout } from '../../grpc/timeout.ts';
import { classifyOutcome } from '../../lb/outlier-detector.ts';
import { hashKeyOf } from '../../lb/hash-key.ts';
import type { EndpointPool } from '../../lb/endpoint-pools.ts';
import { healthyEndpoints, pickEndpoint, staticEndpointId } from '../../lb/select-backend.ts';
import { callerTimeout, formatTimeoutHeader, TIMEOUT_HEADER } from '../../resilience/caller-timeout.ts';
import { deadlineAt, isLimit, remainingMs, timerMs, tryTimeoutMs } from '../../resilience/deadline.ts';
import { planRetry } from '../../resilience/retry-plan.ts';
import type { RetryPlan } from '../../resilience/retry-plan.ts';
import type { RetryBudget } from '../../resilience/retry-budget.ts';
import type { TryOutcome as RetryOutcome } from '../../resilience/retry-policy.ts';
import { DEFAULT_TUNNEL_LIMITS } from '../../http/websocket-upgrade.ts';
import type { TunnelLimits } from '../../http/websocket-upgrade.ts';
import { refuse } from '../answer.ts';
import type { Answer } from '../answer.ts';
import type { PipelineContext, Stage } from '../context.ts';
import type { CompiledRule } from '../../policy/route/compile.ts';
import type { TryOutcome, TryRequest } from '../pieces.ts';
import { bodyTooLarge } from './request-size.ts';

const NO_RETRY: RetryPlan = { retry: false, reason: 'not-retriable' };

export const attemptsStage: Stage = (c) => {
  if (!c.backend || !c.match) return undefined;
  const registered = c.pieces.registered();
  return registered instanceof Promise ? registered.then((doc) => withPool(c, doc)) : withPool(c, registered);
};

function withPool(c: PipelineContext, registered: Parameters<PipelineContext['pieces']['pools']['pool']>[3]): Answer | undefined | Promise<Answer | undefined> {
  const { service, subset } = c.backend as NonNullable<PipelineContext['backend']>;
  const pool = c.pieces.pools.pool(c.runtime.version, service, subset, registered);
  if (pool.endpoints.length === 0) return refuse('no_endpoints', `${service.id}${subset ? `/${subset}` : ''} has no endpoints`);
  const replayable = c.upgrade ? true : c.pieces.body();
  return replayable instanceof Promise ? replayable.then((r) => attempts(c, pool, r)) : attempts(c, pool, replayable);
}

/** Each of the rule's mirrors draws its own percent; a copy waits for its answer as long as the rule's timeout (0: none) allows a request. */
function mirror(c: PipelineContext, rule: CompiledRule): void {
  // A snapshot compiled before rules carried a list of mirrors has none.
  const mirrors = rule.mirrors ?? [];
  if (mirrors.length === 0) return;
  const registered = c.pieces.registered();
  if (registered instanceof Promise) return;
  for (const m of mirrors) {
    if (c.pieces.random() * 100 >= m.percent) continue;
    const service = c.runtime.services.get(m.service);
    if (!service) continue;
    const pool = c.pieces.pools.pool(c.runtime.version, service, m.subset, registered);
    const ep = pool.picker.pick(healthyEndpoints(pool), { activeRequests: pool.activeRequests });
    if (ep) c.pieces.mirror({ service, endpoint: ep, registered: pool.registered.has(ep.id), timeoutMs: rule.timeoutMs });
  }
}

/** `grpcStatus`: a trailers-only gRPC answer's status, judged as the HTTP status it stands for (an UNAVAILABLE instance is a 503 one). */
function recordOutcome(c: PipelineContext, pool: EndpointPool, endpointId: string, at: string, o: TryOutcome<unknown>, grpcStatus: number | undefined): void {
  const outliers = pool.outliers;
  // A client that left, or sent too large a body, says nothing about the endpoint.
  if (!outliers || o.kind === 'abandoned' || o.kind === 'oversize') return;
  const was = outliers.isEjected(endpointId);
  const status = o.kind === 'failed' ? 0 : grpcStatus !== undefined ? httpStatusOfGrpc(grpcStatus) : o.status;
  outliers.record(endpointId, classifyOutcome(o.kind === 'failed' ? { error: o.error } : { status }));
  if (!was && outliers.isEjected(endpointId)) c.pieces.observer.ejection?.(pool.service.id, at);
}

async function attempts(c: PipelineContext, pool: EndpointPool, replayable: boolean): Promise<Answer | undefined> {
  const rule = (c.match as NonNullable<PipelineContext['match']>).rule;
  const service = pool.service;
  const { pieces } = c;
  if (replayable && !c.upgrade) mirror(c, rule);
  // A snapshot compiled before rules carried WebSocket limits gets the defaults.
  const tunnel: TunnelLimits | undefined = c.upgrade ? (rule.websocket ?? DEFAULT_TUNNEL_LIMITS) : undefined;
  const method = c.request.method.toUpperCase();
  const key = hashKeyOf(service, c.request);
  const grpc = grpcProtocolOfRequest(c.request.headers) !== null;
  // A malformed deadline header is ignored (null), as gRPC servers do: the route timeout holds.
  const caller = callerTimeout(c.request.headers, { grpc, propagated: c.plane !== 'edge' });
  const deadline = deadlineAt(c.startedAt, rule.timeoutMs, caller?.ms ?? null);
  const limit =
    caller !== null && (!isLimit(rule.timeoutMs) || caller.ms < rule.timeoutMs) ? `the caller's ${caller.header} of ${caller.ms} ms` : `the route timeout of ${rule.timeoutMs} ms`;
  // A streamed body may still turn out replayable (it ended within the replay limit); each
  // retry plan asks again. Mirrors need the whole body up front.
  const retries = rule.retries.attempts > 0 && (replayable || pieces.replayableNow !== undefined);
  const bodyReplayable = () => replayable || pieces.replayableNow?.() === true;
  const budget: RetryBudget | undefined = retries ? pieces.pools.budget(service.id, rule.retries) : undefined;
  const breaker = pieces.pools.breaker(service);
  const plan = (attempt: number, outcome: RetryOutcome): RetryPlan => {
    if (!retries || !bodyReplayable()) return NO_RETRY;
    const p = planRetry({ method, grpc, attempt, retries: rule.retries, outcome, deadline, now: pieces.now(), random: pieces.random, ...(budget ? { budget } : {}) });
    if (!p.retry && p.reason !== 'not-retriable') {
      c.retryRefused = p.reason;
      pieces.observer.retryRefused?.(c, service.id, p.reason);
    }
    return p;
  };
  const timedOut = (last: string) => refuse('upstream_timeout', `${service.id}: ${limit} passed while retrying (last try: ${last})`);
  // A planned retry holds one retry of the budget until that try has ended: it is handed back
  // before the next plan asks for another (also when the plan is made as a response head
  // arrives), and on every way out.
  let held = false;
  const release = () => {
    if (held) budget?.retryFinished();
    held = false;
  };
  budget?.requestStarted();
  try {
    let timeout = tryTimeoutMs(deadline, rule.retries.perTryTimeoutMs, pieces.now());
    const tried: string[] = [];
    for (let attempt = 1; ; attempt++) {
      const ep = pickEndpoint(pool, { activeRequests: pool.activeRequests, ...(key !== undefined ? { hashKey: key } : {}) }, tried);
      if (!ep) return refuse('no_healthy_endpoints', `${service.id} has no healthy endpoint to try`);
      if (timeout <= 0) return refuse('upstream_timeout', `no answer from ${service.id} within ${limit}`);
      const admitted = breaker.acquire();
      if (!admitted.admitted) {
        pieces.observer.circuitOpen?.(service.id, admitted.limit);
        return refuse('circuit_open', `${service.id} is over its ${admitted.limit} limit; try again later`);
      }
      const at = staticEndpointId(ep.address, ep.port);
      tried.push(ep.id);
      c.upstream = at;
      // The whole call, not just this try, must end by the deadline: a gRPC server enforces it.
      if (grpc && Number.isFinite(deadline)) c.upstreamHeaders.set('grpc-timeout', formatGrpcTimeout(remainingMs(deadline, pieces.now())));
      // The next hop bounds its own work (and retries) by what this try may take (none: no header).
      const told = formatTimeoutHeader(timeout);
      if (told === null) c.upstreamHeaders.delete(TIMEOUT_HEADER);
      else c.upstreamHeaders.set(TIMEOUT_HEADER, told);
      pool.active.set(ep.id, (pool.active.get(ep.id) ?? 0) + 1);
      let next = NO_RETRY;
      let headGrpcStatus: number | undefined;
      let outcome: TryOutcome<unknown>;
      try {
        const t: TryRequest = {
          service,
          endpoint: ep,
          registered: pool.registered.has(ep.id),
          timeoutMs: timerMs(timeout),
          commit: (status, grpcStatus) => {
            headGrpcStatus = grpcStatus;
            release();
            next = plan(attempt, grpcStatus === undefined ? { status } : { status, grpcStatus });
            held = next.retry;
            // A retriable answer with no time left to retry it is dropped: the answer is 504.
            return !next.retry && next.reason !== 'deadline';
          },
        };
        outcome = await (tunnel ? pieces.tryUpgrade({ ...t, tunnel }) : pieces.tryOnce(t));
      } finally {
        breaker.release();
        pool.active.set(ep.id, (pool.active.get(ep.id) ?? 1) - 1);
      }
      recordOutcome(c, pool, ep.id, at, outcome, headGrpcStatus);
      if (outcome.kind === 'abandoned') {
        c.reason = 'client_closed';
        return undefined;
      }
      if (outcome.kind === 'committed') {
        c.delivered = outcome.value;
        return undefined;
      }
      if (outcome.kind === 'oversize') return bodyTooLarge(outcome.limit);
      if (outcome.kind === 'failed') {
        pieces.observer.upstreamError?.(c, service.id, outcome.error, outcome.wrongPeer === true);
        release();
        next = plan(attempt, { error: outcome.error });
        held = next.retry;
        if (!next.retry && next.reason === 'deadline') return timedOut(`${outcome.error}: ${outcome.message}`);
        if (!next.retry)
          return outcome.error === 'timeout'
            ? refuse('upstream_timeout', `${service.id}: ${outcome.message}`)
            : refuse('upstream_unavailable', `${service.id} is unreachable (${outcome.error}: ${outcome.message})`);
      }
      // `next` may have been set inside commit(), which control-flow analysis cannot see.
      const retry = next as RetryPlan;
      if (!retry.retry && retry.reason === 'deadline') return timedOut(outcome.kind === 'dropped' ? `status ${outcome.status}` : outcome.kind);
      if (!retry.retry) return refuse('upstream_unavailable', `${service.id}: the response was dropped and no retry is left`);
      pieces.observer.retry?.(c, service.id);
      c.retries++;
      if (retry.delayMs > 0) await pieces.sleep(retry.delayMs);
      // A backoff that overslept leaves the try less time, none past the deadline (then 504 above).
      timeout = Math.min(retry.tryTimeoutMs, tryTimeoutMs(deadline, rule.retries.perTryTimeoutMs, pieces.now()));
    }
  } finally {
    release();
    budget?.requestFinished();
  }
}
