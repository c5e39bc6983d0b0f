import { describe, expect, it } from 'vitest';
import { BUILTIN_RETRIES } from '../policy/shared/resilience.ts';
import { RetryBudget } from './retry-budget.ts';
import { planRetry } from './retry-plan.ts';

const base = {
  method: 'GET',
  attempt: 1,
  retries: { ...BUILTIN_RETRIES, retryOn: ['gateway-error', 'connect-failure'], perTryTimeoutMs: 1_000, backoff: { baseMs: 100, maxMs: 1_000 } },
  outcome: { status: 503 },
  deadline: 10_000,
  now: 0,
  random: () => 0.5,
};

describe('planRetry', () => {
  it('retries with backoff and a per-try timeout inside the deadline', () => {
    expect(planRetry(base)).toEqual({ retry: true, delayMs: 50, tryTimeoutMs: 1_000 });
    expect(planRetry({ ...base, now: 9_500 })).toEqual({ retry: true, delayMs: 50, tryTimeoutMs: 450 });
  });

  it('says why it will not retry', () => {
    expect(planRetry({ ...base, outcome: { status: 500 } })).toEqual({ retry: false, reason: 'not-retriable' });
    expect(planRetry({ ...base, attempt: 3 })).toEqual({ retry: false, reason: 'not-retriable' });
    expect(planRetry({ ...base, now: 9_950 })).toEqual({ retry: false, reason: 'deadline' });
    const budget = new RetryBudget({ percent: 0, minRetriesPerSecond: 0 }, () => 0);
    expect(planRetry({ ...base, budget })).toEqual({ retry: false, reason: 'budget' });
  });

  it('plans a gRPC call’s retry on its trailers-only status, within deadline and budget', () => {
    const grpc = { ...base, method: 'POST', grpc: true, retries: { ...base.retries, retryOn: ['unavailable', 'resource-exhausted'] } };
    expect(planRetry({ ...grpc, outcome: { status: 200, grpcStatus: 14 } })).toEqual({ retry: true, delayMs: 50, tryTimeoutMs: 1_000 });
    expect(planRetry({ ...grpc, outcome: { status: 200, grpcStatus: 0 } })).toEqual({ retry: false, reason: 'not-retriable' });
    expect(planRetry({ ...grpc, grpc: false, outcome: { status: 200, grpcStatus: 14 } })).toEqual({ retry: false, reason: 'not-retriable' });
    expect(planRetry({ ...grpc, now: 9_950, outcome: { status: 200, grpcStatus: 8 } })).toEqual({ retry: false, reason: 'deadline' });
  });

  it('asks the budget only when every other check passed, and counts the retry', () => {
    const budget = new RetryBudget({ percent: 100, minRetriesPerSecond: 0 }, () => 0);
    budget.requestStarted();
    expect(planRetry({ ...base, now: 9_950, budget }).retry).toBe(false);
    expect(budget.activeRetries).toBe(0);
    expect(planRetry({ ...base, budget }).retry).toBe(true);
    expect(budget.activeRetries).toBe(1);
  });
});
