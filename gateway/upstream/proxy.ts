// Stages 8-9: pick the backend (weighted canary), pick an endpoint (the service's load
// balancer over healthy endpoints), and fetch upstream with per-try and overall timeouts,
// retries on the configured conditions (idempotent methods only unless allowed, backoff with
// jitter, within the retry budget), and a shadow copy to the mirror that never affects the
// response.
import { readCookie } from '../../core/authn/authenticate.ts';
import { classifyOutcome } from '../../core/lb/outlier-detector.ts';
import { pickEndpoint } from '../../core/lb/select-backend.ts';
import type { CompiledService } from '../../core/policy/service/compile.ts';
import { deadlineAt, tryTimeoutMs } from '../../core/resilience/deadline.ts';
import { RetryBudget } from '../../core/resilience/retry-budget.ts';
import { planRetry, REPLAYABLE_BODY_BYTES } from '../../core/resilience/retry-plan.ts';
import { jsonError } from '../pipeline/json-error.ts';
import type { GatewayContext, Stage } from '../pipeline/context.ts';
import { registeredEndpoints } from '../snapshot/endpoints-holder.ts';
import { endpointPool } from './endpoint-pool.ts';
import { upstreamUrl } from './upstream-url.ts';
import { mirrorRequest } from './mirror.ts';

const budgets = new Map<string, RetryBudget>();

function budgetFor(serviceId: string, budget: { percent: number; minRetriesPerSecond: number }): RetryBudget {
  let b = budgets.get(serviceId);
  if (!b) budgets.set(serviceId, (b = new RetryBudget(budget, Date.now)));
  return b;
}

/** The consistent-hash key the Service asks for (header, cookie or client IP). */
function hashKey(c: GatewayContext, service: CompiledService): string | undefined {
  const on = service.loadBalancer.hashOn;
  if (!on) return undefined;
  if ('header' in on) return c.request.headers.get(on.header) ?? undefined;
  if ('cookie' in on) return readCookie(c.request.headers.get('cookie'), on.cookie.name) ?? undefined;
  return c.clientIp ?? undefined;
}

type Outcome = { response: Response } | { error: 'timeout' | 'connect-failure' | 'reset'; message: string };

async function tryOnce(c: GatewayContext, url: string, body: ArrayBuffer | ReadableStream | null, timeoutMs: number): Promise<Outcome> {
  try {
    const response = await fetch(url, { method: c.request.method, headers: c.upstreamHeaders, body, redirect: 'manual', signal: AbortSignal.timeout(Math.max(1, timeoutMs)) });
    return { response };
  } catch (e) {
    const name = (e as Error).name;
    if (name === 'TimeoutError' || name === 'AbortError') return { error: 'timeout', message: `upstream did not answer within ${timeoutMs} ms` };
    const text = String(e);
    return { error: /reset|closed/i.test(text) ? 'reset' : 'connect-failure', message: text };
  }
}

export const proxyStage: Stage = async (c) => {
  const match = c.match;
  if (!match) return undefined;
  const rule = match.rule;
  if (!c.backend) return undefined;
  const { service, subset } = c.backend;
  const registered = registeredEndpoints(c.env, c.ctx);
  const pool = endpointPool(c.runtime.version, service, subset, registered instanceof Promise ? await registered : registered);
  if (pool.endpoints.length === 0) return jsonError(503, 'no_endpoints', `${service.id}${subset ? `/${subset}` : ''} has no endpoints`);

  const method = c.request.method.toUpperCase();
  const hasBody = method !== 'GET' && method !== 'HEAD' && c.request.body !== null;
  const declared = hasBody ? Number(c.request.headers.get('content-length') ?? 'NaN') : 0;
  const replayable = !hasBody || (Number.isFinite(declared) && declared <= REPLAYABLE_BODY_BYTES);
  const body = hasBody ? (replayable ? await c.request.arrayBuffer() : c.request.body) : null;

  if (rule.mirror && replayable && Math.random() * 100 < rule.mirror.percent) await mirrorRequest(c, rule.mirror, body as ArrayBuffer | null);

  const deadline = deadlineAt(c.startedAt, rule.timeoutMs);
  const budget = budgetFor(service.id, rule.retries.budget);
  budget.requestStarted();
  try {
    let timeout = tryTimeoutMs(deadline, rule.retries.perTryTimeoutMs, Date.now());
    let retrying = false;
    const tried: string[] = [];
    for (let attempt = 1; ; attempt++) {
      const ep = pickEndpoint(pool, { activeRequests: (id) => pool.active.get(id) ?? 0, hashKey: hashKey(c, service) }, tried);
      if (!ep) return jsonError(503, 'no_endpoints', `${service.id} has no healthy endpoints`);
      c.upstream = `${ep.address}:${ep.port}`;
      tried.push(ep.id);
      if (timeout <= 0) return jsonError(504, 'upstream_timeout', `no answer from ${service.id} within the route timeout of ${rule.timeoutMs} ms`);
      pool.active.set(ep.id, (pool.active.get(ep.id) ?? 0) + 1);
      const outcome = await tryOnce(c, upstreamUrl(c, service, ep), body, timeout);
      pool.active.set(ep.id, (pool.active.get(ep.id) ?? 1) - 1);
      if (retrying) budget.retryFinished();
      pool.outliers?.record(ep.id, classifyOutcome('response' in outcome ? { status: outcome.response.status } : { error: outcome.error }));
      const plan = replayable
        ? planRetry({ method, attempt, retries: rule.retries, outcome: 'response' in outcome ? { status: outcome.response.status } : { error: outcome.error }, deadline, now: Date.now(), random: Math.random, budget })
        : { retry: false as const };
      if (!plan.retry) {
        if ('response' in outcome) return outcome.response;
        return outcome.error === 'timeout'
          ? jsonError(504, 'upstream_timeout', `${service.id}: ${outcome.message}`)
          : jsonError(502, 'upstream_unavailable', `${service.id} is unreachable (${outcome.error})`);
      }
      if ('response' in outcome) await outcome.response.body?.cancel();
      await new Promise((r) => setTimeout(r, plan.delayMs));
      timeout = plan.tryTimeoutMs;
      retrying = true;
    }
  } finally {
    budget.requestFinished();
  }
};
