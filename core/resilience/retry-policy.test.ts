import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CompiledRetries } from '../policy/shared/resilience.ts';
import { BUILTIN_RETRIES } from '../policy/shared/resilience.ts';
import { backoffMs, retryDecision } from './retry-policy.ts';
import type { TryOutcome } from './retry-policy.ts';

const retries = (over: Partial<CompiledRetries> = {}): CompiledRetries => ({ ...BUILTIN_RETRIES, attempts: 3, retryOn: [], statusCodes: [], ...over });

describe('retryDecision: conditions', () => {
  const rows: [string[], TryOutcome, boolean][] = [
    [['5xx'], { status: 500 }, true],
    [['5xx'], { status: 503 }, true],
    [['5xx'], { status: 599 }, true],
    [['5xx'], { status: 499 }, false],
    [['5xx'], { status: 200 }, false],
    [['5xx'], { error: 'reset' }, true],
    [['5xx'], { error: 'connect-failure' }, true],
    [['5xx'], { error: 'timeout' }, true],
    [['gateway-error'], { status: 502 }, true],
    [['gateway-error'], { status: 503 }, true],
    [['gateway-error'], { status: 504 }, true],
    [['gateway-error'], { status: 500 }, false],
    [['gateway-error'], { error: 'timeout' }, true],
    [['reset'], { error: 'reset' }, true],
    [['reset'], { error: 'timeout' }, true],
    [['reset'], { error: 'connect-failure' }, false],
    [['reset'], { status: 503 }, false],
    [['connect-failure'], { error: 'connect-failure' }, true],
    [['connect-failure'], { error: 'reset' }, false],
    [['connect-failure'], { status: 503 }, false],
    [['retriable-status-codes'], { status: 429 }, true],
    [['retriable-status-codes'], { status: 409 }, false],
    [['retriable-status-codes'], { error: 'reset' }, false],
    [[], { status: 503 }, false],
    [[], { error: 'connect-failure' }, false],
    [['5xx'], {}, false],
    [['unavailable'], { status: 200, grpcStatus: 14 }, true],
    [['unavailable'], { status: 200, grpcStatus: 8 }, false],
    [['resource-exhausted'], { status: 200, grpcStatus: 8 }, true],
    [['cancelled'], { status: 200, grpcStatus: 1 }, true],
    [['deadline-exceeded'], { status: 200, grpcStatus: 4 }, true],
    [['internal'], { status: 200, grpcStatus: 13 }, true],
    [['internal'], { status: 200, grpcStatus: 2 }, false],
    [['unavailable'], { status: 503 }, false],
    [['unavailable'], { error: 'reset' }, false],
    [['5xx', 'gateway-error'], { status: 200, grpcStatus: 14 }, false],
  ];
  it.each(rows)('retryOn %j, outcome %j → %s', (retryOn, outcome, expected) => {
    expect(retryDecision({ method: 'GET', attempt: 1, retries: retries({ retryOn, statusCodes: [429] }), outcome })).toBe(expected);
  });
});

describe('retryDecision: methods and attempts', () => {
  const r = retries({ retryOn: ['5xx', 'connect-failure'] });

  it.each(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE', 'get'])('retries idempotent %s', (method) => {
    expect(retryDecision({ method, attempt: 1, retries: r, outcome: { status: 503 } })).toBe(true);
  });

  it.each(['POST', 'PATCH', 'CONNECT'])('does not retry %s after an answer…', (method) => {
    expect(retryDecision({ method, attempt: 1, retries: r, outcome: { status: 503 } })).toBe(false);
    expect(retryDecision({ method, attempt: 1, retries: r, outcome: { error: 'reset' } })).toBe(false);
  });

  it('…but does after a connect failure: the request never left', () => {
    expect(retryDecision({ method: 'POST', attempt: 1, retries: r, outcome: { error: 'connect-failure' } })).toBe(true);
  });

  it('nonIdempotent retries POST and PATCH', () => {
    const all = retries({ retryOn: ['5xx'], nonIdempotent: true });
    expect(retryDecision({ method: 'POST', attempt: 1, retries: all, outcome: { status: 500 } })).toBe(true);
    expect(retryDecision({ method: 'PATCH', attempt: 1, retries: all, outcome: { status: 500 } })).toBe(true);
  });

  it('never retries a POST on 5xx but does retry a gRPC call on unavailable', () => {
    const grpc = retries({ retryOn: ['5xx', 'unavailable', 'connect-failure'] });
    expect(retryDecision({ method: 'POST', attempt: 1, retries: grpc, outcome: { status: 503 } })).toBe(false);
    expect(retryDecision({ method: 'POST', attempt: 1, retries: grpc, outcome: { status: 503 }, grpc: true })).toBe(false);
    expect(retryDecision({ method: 'POST', attempt: 1, retries: grpc, outcome: { status: 200, grpcStatus: 14 }, grpc: true })).toBe(true);
    expect(retryDecision({ method: 'POST', attempt: 1, retries: grpc, outcome: { error: 'connect-failure' }, grpc: true })).toBe(true);
    // An upstream's grpc-status on a request that is not a gRPC call keeps the methods rule.
    expect(retryDecision({ method: 'POST', attempt: 1, retries: grpc, outcome: { status: 200, grpcStatus: 14 } })).toBe(false);
  });

  it('does not retry a gRPC call on a status its conditions do not name, nor on a reset', () => {
    const grpc = retries({ retryOn: ['unavailable', 'reset'] });
    expect(retryDecision({ method: 'POST', attempt: 1, retries: grpc, outcome: { status: 200, grpcStatus: 7 }, grpc: true })).toBe(false);
    expect(retryDecision({ method: 'POST', attempt: 1, retries: grpc, outcome: { error: 'reset' }, grpc: true })).toBe(false);
    expect(retryDecision({ method: 'POST', attempt: 3, retries: grpc, outcome: { status: 200, grpcStatus: 14 }, grpc: true })).toBe(true);
    expect(retryDecision({ method: 'POST', attempt: 4, retries: grpc, outcome: { status: 200, grpcStatus: 14 }, grpc: true })).toBe(false);
  });

  it('stops after `attempts` retries', () => {
    const decide = (attempt: number) => retryDecision({ method: 'GET', attempt, retries: r, outcome: { status: 503 } });
    expect([0, 1, 2, 3, 4].map(decide)).toEqual([false, true, true, true, false]);
    expect(retryDecision({ method: 'GET', attempt: 1, retries: retries({ retryOn: ['5xx'], attempts: 0 }), outcome: { status: 503 } })).toBe(false);
  });
});

describe('backoffMs', () => {
  const backoff = { baseMs: 25, maxMs: 250 };

  it.each([
    [1, 0, 0],
    [1, 0.999999, 24],
    [2, 0.5, 25],
    [3, 0.999999, 99],
    [4, 0.999999, 199],
    [5, 0.999999, 249], // capped at maxMs
    [60, 0.5, 125],
  ])('attempt %i, random %f → %i ms', (attempt, r, ms) => {
    expect(backoffMs(attempt, backoff, () => r)).toBe(ms);
  });

  it('property: whole ms within [0, min(max, base·2^(n−1)))', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100 }),
        fc.integer({ min: 1, max: 1_000 }),
        fc.integer({ min: 1, max: 100_000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (attempt, baseMs, maxMs, r) => {
          const ms = backoffMs(attempt, { baseMs, maxMs }, () => r);
          expect(Number.isInteger(ms)).toBe(true);
          expect(ms).toBeGreaterThanOrEqual(0);
          expect(ms).toBeLessThan(Math.max(1, Math.min(maxMs, baseMs * 2 ** (attempt - 1))));
        },
      ),
    );
  });
});
