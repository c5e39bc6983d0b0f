// Rate limits on the request's targets: `local` buckets in this proxy, `global` ones in the
// plane's shared counter (a Durable Object per key at the edge, a quota leased from control
// in the mesh). Every limited request answers RateLimit-* headers; a denial is 429 with
// Retry-After. A store that fails is skipped (fail open) and reported.
import { checkRateLimits } from '../../ratelimit/rate-limit.ts';
import type { RateLimitOutcome } from '../../ratelimit/rate-limit.ts';
import { refuse } from '../answer.ts';
import type { Answer } from '../answer.ts';
import type { PipelineContext, Stage } from '../context.ts';

export const rateLimitStage: Stage = (c) => {
  const limits = c.runtime.rateLimits(c.targets);
  if (limits.length === 0) return undefined;
  const outcome = checkRateLimits(
    limits,
    {
      clientIp: c.request.clientIp,
      apiKey: c.user?.apiKey ?? null,
      principal: c.peer,
      requestPrincipal: c.user?.requestPrincipal ?? null,
      headers: c.request.headers,
      claims: c.user?.claims ?? null,
    },
    c.pieces.counters,
    c.pieces.now(),
  );
  // Local limits only: decided synchronously. A remote store's answer is awaited.
  return outcome instanceof Promise ? outcome.then((o) => answer(c, o)) : answer(c, outcome);
};

function answer(c: PipelineContext, outcome: RateLimitOutcome): Answer | undefined {
  for (const f of outcome.failedOpen ?? []) c.pieces.observer.rateLimitStoreFailed?.(f.policy, f.limit, f.error);
  for (const name in outcome.headers) c.responseHeaders.push([name, outcome.headers[name] as string]);
  if (outcome.allowed) return undefined;
  const by = outcome.deniedBy;
  c.pieces.observer.rateLimited?.(c, by?.policy ?? '');
  // The RateLimit-* and Retry-After headers go on with the response headers, as on every answer.
  return refuse('rate_limited', `rate limit ${by?.limit ?? ''} of ${by?.policy ?? ''} exceeded`);
}
