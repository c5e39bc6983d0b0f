// The retry stage in one decision: may this failed try be retried (conditions, method,
// attempts), when (backoff), within the deadline, and within the budget (asked last, as
// asking spends from it).
import type { CompiledRetries } from '../policy/shared/resilience.ts';
import { fitsBeforeDeadline, tryTimeoutMs } from './deadline.ts';
import type { RetryBudget } from './retry-budget.ts';
import { backoffMs, retryDecision } from './retry-policy.ts';
import type { TryOutcome } from './retry-policy.ts';

/** Request bodies up to this size (declared by Content-Length) are buffered so a request can be retried and mirrored; larger ones stream once. */
export const REPLAYABLE_BODY_BYTES = 1024 * 1024;

/** Why a retry the route's conditions asked for was not sent: the retry budget was spent, or no time was left before the deadline. */
export type RetryRefusal = 'deadline' | 'budget';

/** With a budget, every `retry: true` holds one retry of it: call budget.retryFinished() when that try ends. */
export type RetryPlan =
  | { retry: true; delayMs: number; tryTimeoutMs: number }
  | { retry: false; reason: 'not-retriable' | RetryRefusal };

export function planRetry(input: {
  method: string;
  /** A gRPC or gRPC-Web call: retried on its gRPC status conditions whatever the method. */
  grpc?: boolean;
  /** The retry being considered: 1 after the first try failed. */
  attempt: number;
  retries: CompiledRetries;
  outcome: TryOutcome;
  deadline: number;
  now: number;
  random: () => number;
  budget?: RetryBudget;
}): RetryPlan {
  const { attempt, retries, deadline, now } = input;
  if (!retryDecision(input)) return { retry: false, reason: 'not-retriable' };
  const delayMs = backoffMs(attempt, retries.backoff, input.random);
  if (!fitsBeforeDeadline(deadline, now, delayMs)) return { retry: false, reason: 'deadline' };
  if (input.budget && !input.budget.tryAcquireRetry()) return { retry: false, reason: 'budget' };
  return { retry: true, delayMs, tryTimeoutMs: tryTimeoutMs(deadline, retries.perTryTimeoutMs, now + delayMs) };
}
