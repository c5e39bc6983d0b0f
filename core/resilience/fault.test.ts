import { describe, expect, it } from 'vitest';
import { decideFault } from './fault.ts';

describe('decideFault', () => {
  const fault = { delay: { fixedMs: 200, percent: 50 }, abort: { status: 503, percent: 10 } };

  it('fires each fault on its own share of requests', () => {
    expect(decideFault(fault, () => 0.05)).toEqual({ delayMs: 200, abortStatus: 503 });
    expect(decideFault(fault, () => 0.3)).toEqual({ delayMs: 200, abortStatus: null });
    expect(decideFault(fault, () => 0.7)).toEqual({ delayMs: 0, abortStatus: null });
  });

  it('draws the delay and the abort independently', () => {
    const draws = [0.9, 0.01];
    expect(decideFault(fault, () => draws.shift() ?? 1)).toEqual({ delayMs: 0, abortStatus: 503 });
  });

  it('a fault that is not configured never fires', () => {
    expect(decideFault({ delay: null, abort: null }, () => 0)).toEqual({ delayMs: 0, abortStatus: null });
  });
});
