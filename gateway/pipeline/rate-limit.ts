// Stage 6: rate limits on the matched route: `local` buckets in this isolate, `global` ones in
// a Durable Object per key. Every limited route answers RateLimit-* headers; a denial is 429
// with Retry-After.
import { MemoryCounterStore } from '../../core/ratelimit/memory-counter-store.ts';
import { checkRateLimits } from '../../core/ratelimit/rate-limit.ts';
import type { RateLimitOutcome } from '../../core/ratelimit/rate-limit.ts';
import { DurableObjectCounterStore } from '../rate-limit/global-rate-limiter.ts';
import { jsonError } from './json-error.ts';
import type { GatewayContext, Stage } from './context.ts';

const local = new MemoryCounterStore();
/** The counter stores per isolate: the binding is the same object for every request. */
let stores: { local: MemoryCounterStore; global: DurableObjectCounterStore; namespace: GatewayContext['env']['RATE_LIMITS'] } | undefined;

function storesFor(c: GatewayContext): { local: MemoryCounterStore; global: DurableObjectCounterStore } {
  if (stores?.namespace !== c.env.RATE_LIMITS) stores = { local, global: new DurableObjectCounterStore(c.env.RATE_LIMITS), namespace: c.env.RATE_LIMITS };
  return stores;
}

export const rateLimitStage: Stage = (c) => {
  const limits = c.runtime.rateLimits(c.targets);
  if (limits.length === 0) return undefined;
  const outcome = checkRateLimits(
    limits,
    {
      clientIp: c.clientIp,
      apiKey: c.user?.apiKey ?? null,
      principal: null,
      requestPrincipal: c.user?.requestPrincipal ?? null,
      headers: c.request.headers,
      claims: c.user?.claims ?? null,
    },
    storesFor(c),
    Date.now(),
  );
  // Local limits only: decided synchronously. A global limit waits for its Durable Object.
  return outcome instanceof Promise ? outcome.then((o) => answer(c, o)) : answer(c, outcome);
};

function answer(c: GatewayContext, outcome: RateLimitOutcome): Response | undefined {
  for (const f of outcome.failedOpen ?? []) console.error(JSON.stringify({ level: 'warn', msg: 'rate-limit store failed; limit skipped', ...f, error: String(f.error) }));
  for (const name in outcome.headers) c.responseHeaders.push([name, outcome.headers[name] as string]);
  if (outcome.allowed) return undefined;
  // The RateLimit-* and Retry-After headers go on in finishResponse, as on every answer.
  return jsonError(429, 'rate_limited', `rate limit ${outcome.deniedBy?.limit ?? ''} of ${outcome.deniedBy?.policy ?? ''} exceeded`);
}
