import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RetryBudget } from './retry-budget.ts';

function budget(percent: number, minRetriesPerSecond: number) {
  const clock = { t: 0 };
  return { clock, b: new RetryBudget({ percent, minRetriesPerSecond }, () => clock.t) };
}

describe('RetryBudget', () => {
  it('allows retries up to percent of active requests', () => {
    const { b } = budget(20, 0);
    for (let i = 0; i < 10; i++) b.requestStarted();
    expect([1, 2, 3].map(() => b.tryAcquireRetry())).toEqual([true, true, false]);
    b.retryFinished();
    expect(b.tryAcquireRetry()).toBe(true);
  });

  it('fewer active requests shrink the allowance', () => {
    const { b } = budget(50, 0);
    for (let i = 0; i < 4; i++) b.requestStarted();
    expect(b.tryAcquireRetry()).toBe(true);
    b.requestFinished();
    b.requestFinished();
    expect(b.tryAcquireRetry()).toBe(false); // 2 active retries > 50 % of 2
  });

  it('minRetriesPerSecond lets a quiet service retry: ten seconds’ worth at once, then that many a second', () => {
    const { b, clock } = budget(20, 3);
    b.requestStarted();
    const burst = Array.from({ length: 31 }, () => b.tryAcquireRetry());
    expect(burst.filter(Boolean)).toHaveLength(30);
    expect(burst.at(-1)).toBe(false);
    clock.t += 333;
    expect(b.tryAcquireRetry()).toBe(false);
    clock.t += 1;
    expect(b.tryAcquireRetry()).toBe(true);
    clock.t += 60_000; // the floor holds ten seconds' worth, not a minute's
    expect(Array.from({ length: 31 }, () => b.tryAcquireRetry()).filter(Boolean)).toHaveLength(30);
  });

  it('a burst of failures at a low average rate keeps its retries (the floor counts over 10 s)', () => {
    // One client in a loop: 14 retries within half a second, then quiet. One in flight at a
    // time, so only the floor (the default 10/s) can admit them.
    const { b, clock } = budget(20, 10);
    for (let minute = 0; minute < 3; minute++) {
      for (let i = 0; i < 14; i++) {
        b.requestStarted();
        expect(b.tryAcquireRetry()).toBe(true);
        b.retryFinished();
        b.requestFinished();
        clock.t += 35;
      }
      clock.t += 60_000;
    }
  });

  it('percent 0 and no floor: never', () => {
    const { b } = budget(0, 0);
    b.requestStarted();
    expect(b.tryAcquireRetry()).toBe(false);
  });

  it('extra finish calls never drive counts negative', () => {
    const { b } = budget(100, 0);
    b.requestFinished();
    b.retryFinished();
    expect([b.activeRequests, b.activeRetries]).toEqual([0, 0]);
    b.requestStarted();
    expect(b.tryAcquireRetry()).toBe(true);
    expect(b.tryAcquireRetry()).toBe(false);
  });

  it('a missed retryFinished() heals as requests finish', () => {
    const { b } = budget(100, 0);
    b.requestStarted();
    b.requestStarted();
    expect([b.tryAcquireRetry(), b.tryAcquireRetry(), b.tryAcquireRetry()]).toEqual([true, true, false]);
    b.requestFinished(); // its retry must have ended with it
    expect(b.activeRetries).toBe(1);
    b.requestFinished();
    expect(b.activeRetries).toBe(0);
  });

  it('property: on a still clock, retries beyond percent × active never exceed the floor’s ten seconds', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100 }),
        fc.integer({ min: 0, max: 5 }),
        fc.array(fc.constantFrom('start', 'finish', 'retry', 'retry-done'), { maxLength: 200 }),
        (percent, floor, ops) => {
          const { b } = budget(percent, floor); // the clock stands still
          let granted = 0;
          let fromFloor = 0;
          for (const op of ops) {
            if (op === 'start') b.requestStarted();
            else if (op === 'finish') b.requestFinished();
            else if (op === 'retry-done') b.retryFinished();
            else {
              const withinPercent = (b.activeRetries + 1) * 100 <= percent * b.activeRequests;
              if (b.tryAcquireRetry()) {
                granted++;
                if (!withinPercent) fromFloor++;
              }
            }
          }
          expect(fromFloor).toBeLessThanOrEqual(floor * 10);
          expect(granted).toBeGreaterThanOrEqual(fromFloor);
        },
      ),
    );
  });
});
