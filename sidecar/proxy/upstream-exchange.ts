// Outbound stage 9: endpoint pick (the service's load balancer over healthy endpoints), the
// circuit breaker, and the upstream exchange with per-try and overall timeouts and retries
// (conditions, idempotent methods only unless allowed, backoff with jitter, within the retry
// budget). Outcomes feed outlier detection. Only a replayable (buffered) body is retried.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { readCookie } from '../../core/authn/authenticate.ts';
import { classifyOutcome } from '../../core/lb/outlier-detector.ts';
import { pickEndpoint, staticEndpointId } from '../../core/lb/select-backend.ts';
import type { CompiledRule } from '../../core/policy/route/compile.ts';
import type { CompiledService } from '../../core/policy/service/compile.ts';
import { deadlineAt, tryTimeoutMs } from '../../core/resilience/deadline.ts';
import { planRetry } from '../../core/resilience/retry-plan.ts';
import type { RetryPlan } from '../../core/resilience/retry-plan.ts';
import type { AccessLogEntry, ProxyObserver } from '../types.ts';
import type { EndpointPool, EndpointPools } from './endpoint-pools.ts';
import { forward } from './forward.ts';
import type { ForwardOutcome } from './forward.ts';
import { forwardedResponseHeaderList } from './hop-by-hop.ts';
import { headerOf } from './request-log.ts';
import { replyError } from './json-reply.ts';
import type { UpstreamPools } from './upstream-pools.ts';

export interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  entry: AccessLogEntry;
  /** Wall-clock start of the request (ms), for the overall deadline. */
  startedAt: number;
  rule: CompiledRule;
  service: CompiledService;
  pool: EndpointPool;
  path: string;
  headers: string[];
  body: Buffer | Readable | null;
  replayable: boolean;
}

const NO_RETRY: RetryPlan = { retry: false, reason: 'not-retriable' };

/** The consistent-hash key the Service asks for (header, cookie or client address). */
function hashKey(req: IncomingMessage, service: CompiledService): string | undefined {
  const on = service.loadBalancer.hashOn;
  if (!on) return undefined;
  if ('header' in on) return headerOf(req, on.header) ?? undefined;
  if ('cookie' in on) return readCookie(headerOf(req, 'cookie'), on.cookie.name) ?? undefined;
  return req.socket.remoteAddress ?? undefined;
}

function recordOutcome(x: Exchange, observer: ProxyObserver, endpointId: string, endpointAt: string, o: ForwardOutcome): void {
  const outliers = x.pool.outliers;
  if (!outliers) return;
  const was = outliers.isEjected(endpointId);
  outliers.record(endpointId, classifyOutcome(o.kind === 'failed' ? { error: o.error } : { status: o.status }));
  if (!was && outliers.isEjected(endpointId)) observer.ejection(x.service.id, endpointAt);
}

export async function exchange(x: Exchange, pools: EndpointPools, upstreams: UpstreamPools, observer: ProxyObserver): Promise<void> {
  const { rule, service, pool, entry, req, res } = x;
  if (pool.endpoints.length === 0) {
    entry.reason = 'no_endpoints';
    return replyError(res, 503, 'no_endpoints', `${service.id} has no endpoints`);
  }
  const method = (req.method ?? 'GET').toUpperCase();
  const key = service.loadBalancer.algorithm === 'consistent-hash' ? hashKey(req, service) : undefined;
  const deadline = deadlineAt(x.startedAt, rule.timeoutMs);
  const retries = rule.retries.attempts > 0 && x.replayable;
  const budget = retries ? pools.budget(service.id, rule.retries) : undefined;
  const breaker = pools.breaker(service);
  budget?.requestStarted();
  try {
    let timeout = tryTimeoutMs(deadline, rule.retries.perTryTimeoutMs, Date.now());
    let retrying = false;
    const tried: string[] = [];
    for (let attempt = 1; ; attempt++) {
      const ep = pickEndpoint(pool, { activeRequests: pool.activeRequests, ...(key !== undefined ? { hashKey: key } : {}) }, tried);
      if (!ep) {
        entry.reason = 'no_endpoints';
        return replyError(res, 503, 'no_endpoints', `${service.id} has no healthy endpoints`);
      }
      if (timeout <= 0) {
        entry.reason = 'upstream_timeout';
        return replyError(res, 504, 'upstream_timeout', `no answer from ${service.id} within the route timeout of ${rule.timeoutMs} ms`);
      }
      const admitted = breaker.acquire();
      if (!admitted.admitted) {
        observer.circuitOpen(service.id, admitted.limit);
        entry.reason = 'circuit_open';
        return replyError(res, 503, 'circuit_open', `${service.id} is over its ${admitted.limit} limit; try again later`);
      }
      const at = staticEndpointId(ep.address, ep.port);
      tried.push(ep.id);
      entry.upstream = at;
      pool.active.set(ep.id, (pool.active.get(ep.id) ?? 0) + 1);
      let plan = NO_RETRY;
      let outcome: ForwardOutcome;
      const upstream = upstreams.get(ep.address, ep.port, service.protocol, service.connectionLimits, pool.sidecars.has(ep.id) ? service.id : undefined);
      observer.transport?.('outbound', upstreams.isMtls(upstream) ? 'mtls' : 'plaintext');
      try {
        outcome = await forward(
          upstream,
          {
            method,
            path: x.path,
            headers: x.headers,
            body: x.body,
            timeoutMs: timeout,
            commit: (status) => {
              if (retries) plan = planRetry({ method, attempt, retries: rule.retries, outcome: { status }, deadline, now: Date.now(), random: Math.random, ...(budget ? { budget } : {}) });
              return !plan.retry;
            },
            responseHeaders: (raw) => forwardedResponseHeaderList(raw, rule.responseHeaders),
          },
          res,
        );
      } finally {
        breaker.release();
        pool.active.set(ep.id, (pool.active.get(ep.id) ?? 1) - 1);
        if (retrying) budget?.retryFinished();
      }
      recordOutcome(x, observer, ep.id, at, outcome);
      if (outcome.kind === 'sent') return;
      if (outcome.kind === 'failed') {
        if (res.destroyed) return; // the app went away; nobody to answer
        observer.upstreamError('outbound', service.id, outcome.error);
        if (outcome.wrongPeer) observer.tlsRefused?.('outbound', 'wrong_server_id');
        if (retries) plan = planRetry({ method, attempt, retries: rule.retries, outcome: { error: outcome.error }, deadline, now: Date.now(), random: Math.random, ...(budget ? { budget } : {}) });
        if (!plan.retry) {
          entry.reason = outcome.error === 'timeout' ? 'upstream_timeout' : 'upstream_unavailable';
          return outcome.error === 'timeout'
            ? replyError(res, 504, 'upstream_timeout', `${service.id}: ${outcome.message}`)
            : replyError(res, 502, 'upstream_unavailable', `${service.id} is unreachable (${outcome.error}: ${outcome.message})`);
        }
      }
      // `plan` may have been set inside commit(), which control-flow analysis cannot see.
      const next = plan as RetryPlan;
      if (!next.retry) return; // unreachable: a dropped response always has a retry planned
      observer.retry('outbound', service.id);
      entry.retries++;
      if (next.delayMs > 0) await new Promise((r) => setTimeout(r, next.delayMs));
      timeout = next.tryTimeoutMs;
      retrying = true;
    }
  } finally {
    budget?.requestFinished();
  }
}
