import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clampPerTryTimeout, deadlineAt, fitsBeforeDeadline, perTryOutlastsTimeout, remainingMs, timerMs, tryTimeoutMs } from './deadline.ts';

describe('deadline arithmetic', () => {
  const deadline = deadlineAt(1_000, 3_000); // 4 000

  it.each([
    ['the per-try timeout when the deadline is far', 1_000, 500, 500],
    ['the time left when the deadline is nearer', 3_700, 500, 300],
    ['0 at the deadline', 4_000, 500, 0],
    ['0 past the deadline', 5_000, 500, 0],
    ['the time left without a per-try timeout', 1_500, 0, 2_500],
  ])('%s', (_name, now, perTry, expected) => {
    expect(tryTimeoutMs(deadline, perTry, now)).toBe(expected);
  });

  it('a caller’s shorter timeout brings the deadline forward; a longer one does not extend it', () => {
    expect(deadlineAt(1_000, 3_000, 500)).toBe(1_500);
    expect(deadlineAt(1_000, 3_000, 60_000)).toBe(4_000);
    expect(deadlineAt(1_000, 3_000, 0)).toBe(1_000);
    expect(deadlineAt(1_000, 3_000, null)).toBe(4_000);
  });

  it('remainingMs is never negative', () => {
    expect(remainingMs(deadline, 3_000)).toBe(1_000);
    expect(remainingMs(deadline, 9_000)).toBe(0);
  });

  it('a retry fits only if time remains after its backoff', () => {
    expect(fitsBeforeDeadline(deadline, 3_900, 99)).toBe(true);
    expect(fitsBeforeDeadline(deadline, 3_900, 100)).toBe(false);
  });

  it('property: a try never outlives the deadline nor its per-try timeout', () => {
    fc.assert(
      fc.property(fc.nat(1e9), fc.nat(1e6), fc.nat(1e6), fc.nat(2e6), (start, timeout, perTry, offset) => {
        const d = deadlineAt(start, timeout);
        const now = start + offset;
        const t = tryTimeoutMs(d, perTry, now);
        expect(t).toBeGreaterThanOrEqual(0);
        expect(now + t).toBeLessThanOrEqual(Math.max(d, now));
        if (perTry > 0) expect(t).toBeLessThanOrEqual(perTry);
      }),
    );
  });

  describe('0 means no timeout', () => {
    it('a route timeout of 0 sets no deadline; a caller’s own timeout still does', () => {
      expect(deadlineAt(1_000, 0)).toBe(Infinity);
      expect(deadlineAt(1_000, 0, 500)).toBe(1_500);
      expect(remainingMs(deadlineAt(1_000, 0), 1e12)).toBe(Infinity);
      expect(fitsBeforeDeadline(deadlineAt(1_000, 0), 1e12, 60_000)).toBe(true);
    });

    it('a try is limited by the per-try timeout alone, or by nothing (0 for the adapter’s timer)', () => {
      const none = deadlineAt(1_000, 0);
      expect(tryTimeoutMs(none, 2_000, 5_000)).toBe(2_000);
      expect(tryTimeoutMs(none, 0, 5_000)).toBe(Infinity);
      expect(timerMs(tryTimeoutMs(none, 0, 5_000))).toBe(0);
      expect(timerMs(tryTimeoutMs(none, 2_000, 5_000))).toBe(2_000);
      // No per-try timeout under a deadline: the time left.
      expect(timerMs(tryTimeoutMs(deadlineAt(1_000, 3_000), 0, 2_000))).toBe(2_000);
    });

    it('a per-try timeout is cut to the overall timeout, unless either is none', () => {
      expect(clampPerTryTimeout(5_000, 2_000)).toBe(2_000);
      expect(clampPerTryTimeout(1_000, 2_000)).toBe(1_000);
      expect(clampPerTryTimeout(5_000, 0)).toBe(5_000);
      expect(clampPerTryTimeout(0, 2_000)).toBe(0);
      expect(perTryOutlastsTimeout(5_000, 2_000)).toBe(true);
      expect(perTryOutlastsTimeout(5_000, 0)).toBe(false);
      expect(perTryOutlastsTimeout(0, 2_000)).toBe(false);
      expect(perTryOutlastsTimeout(2_000, 2_000)).toBe(false);
    });
  });
});
