import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { endpoint } from '../../test/conformance/endpoint-picker.cases.ts';
import { classifyOutcome, MAX_EJECTION_MS, OutlierDetector } from './outlier-detector.ts';
import type { CallOutcome, OutlierConfig } from './outlier-detector.ts';

const config = (over: Partial<OutlierConfig> = {}): OutlierConfig => ({
  consecutive5xx: 5,
  consecutiveGatewayErrors: 3,
  intervalMs: 10_000,
  baseEjectionTimeMs: 30_000,
  maxEjectionPercent: 50,
  ...over,
});

function setup(over: Partial<OutlierConfig> = {}, ids = ['a', 'b', 'c', 'd']) {
  const clock = { t: 1_000_000 };
  const detector = new OutlierDetector(config(over), () => clock.t);
  const endpoints = ids.map((id) => endpoint(id));
  detector.healthy(endpoints);
  const fail = (id: string, n: number, outcome: CallOutcome = '5xx') => {
    for (let i = 0; i < n; i++) detector.record(id, outcome);
  };
  return { clock, detector, endpoints, fail };
}

describe('OutlierDetector', () => {
  it('ejects after consecutive5xx errors in a row, not before', () => {
    const { detector, fail } = setup();
    fail('a', 4);
    expect(detector.isEjected('a')).toBe(false);
    fail('a', 1);
    expect(detector.isEjected('a')).toBe(true);
  });

  it('ejects after consecutiveGatewayErrors gateway errors in a row', () => {
    const { detector, fail } = setup();
    fail('a', 3, 'gateway-error');
    expect(detector.isEjected('a')).toBe(true);
  });

  it('gateway errors also count as 5xx', () => {
    const { detector, fail } = setup({ consecutiveGatewayErrors: 100 });
    fail('a', 2, 'gateway-error');
    fail('a', 3, '5xx');
    expect(detector.isEjected('a')).toBe(true);
  });

  it('a plain 5xx breaks a run of gateway errors', () => {
    const { detector, fail } = setup();
    fail('a', 2, 'gateway-error');
    fail('a', 1, '5xx');
    fail('a', 1, 'gateway-error');
    expect(detector.isEjected('a')).toBe(false);
  });

  it('a success resets the counters', () => {
    const { detector, fail } = setup();
    fail('a', 4);
    detector.record('a', 'success');
    fail('a', 4);
    expect(detector.isEjected('a')).toBe(false);
  });

  it('an ejected endpoint returns after baseEjectionTime', () => {
    const { clock, detector, endpoints, fail } = setup();
    fail('b', 5);
    expect(detector.healthy(endpoints).map((e) => e.id)).toEqual(['a', 'c', 'd']);
    clock.t += 29_999;
    expect(detector.isEjected('b')).toBe(true);
    clock.t += 1;
    expect(detector.isEjected('b')).toBe(false);
    expect(detector.healthy(endpoints).map((e) => e.id)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('ejection time grows with each ejection: base × times ejected', () => {
    const { clock, detector, fail } = setup();
    for (const times of [1, 2, 3]) {
      fail('a', 5);
      clock.t += 30_000 * times - 1;
      expect(detector.isEjected('a')).toBe(true);
      clock.t += 1;
      expect(detector.isEjected('a')).toBe(false);
    }
  });

  it('each interval healthy forgives one past ejection', () => {
    const { clock, detector, fail } = setup();
    fail('a', 5);
    clock.t += 30_000; // back
    fail('a', 5); // second ejection: 60 s
    clock.t += 60_000; // back
    clock.t += 2 * 10_000; // two intervals healthy: both past ejections forgiven
    fail('a', 5);
    clock.t += 30_000;
    expect(detector.isEjected('a')).toBe(false);
  });

  it(`caps one ejection at ${MAX_EJECTION_MS / 1000} s (or the base time if longer)`, () => {
    const { clock, detector, fail } = setup({ baseEjectionTimeMs: 200_000 });
    fail('a', 5);
    clock.t += 200_000;
    fail('a', 5); // would be 400 s
    clock.t += MAX_EJECTION_MS;
    expect(detector.isEjected('a')).toBe(false);
  });

  it('never ejects more than maxEjectionPercent of the known endpoints', () => {
    const { detector, endpoints, fail } = setup({ maxEjectionPercent: 50 });
    for (const id of ['a', 'b', 'c', 'd']) fail(id, 5);
    expect(endpoints.filter((e) => detector.isEjected(e.id)).map((e) => e.id)).toEqual(['a', 'b']);
    expect(detector.healthy(endpoints).map((e) => e.id)).toEqual(['c', 'd']);
  });

  it('keeps one endpoint even at 100 %', () => {
    const { detector, endpoints, fail } = setup({ maxEjectionPercent: 100 });
    for (const id of ['a', 'b', 'c', 'd']) fail(id, 5);
    expect(detector.healthy(endpoints).map((e) => e.id)).toEqual(['d']);
  });

  it('never ejects a lone endpoint', () => {
    const { detector, fail } = setup({ maxEjectionPercent: 100 }, ['only']);
    fail('only', 50);
    expect(detector.isEjected('only')).toBe(false);
  });

  it('0 % disables ejection', () => {
    const { detector, fail } = setup({ maxEjectionPercent: 0 });
    fail('a', 50);
    expect(detector.isEjected('a')).toBe(false);
  });

  it('returns the whole list when every endpoint given is ejected (a subset), and nothing for nothing', () => {
    const { detector, endpoints, fail } = setup();
    fail('a', 5);
    const subset = endpoints.filter((e) => e.id === 'a');
    expect(detector.healthy(subset)).toEqual(subset);
    expect(detector.healthy([])).toEqual([]);
  });

  it('forgets endpoints long gone, so they stop counting toward the cap', () => {
    const { clock, detector, fail } = setup({ maxEjectionPercent: 50 }, ['a', 'b', 'c', 'd']);
    clock.t += 3_600_000;
    const fresh = [endpoint('x'), endpoint('y')];
    detector.healthy(fresh); // a–d are now stale and swept
    fail('x', 5);
    expect(detector.isEjected('x')).toBe(true);
    fail('y', 5); // 1 of 2 already ejected: the cap holds
    expect(detector.isEjected('y')).toBe(false);
  });

  it('property: healthy() is never empty for a non-empty list and never exceeds the cap', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.constantFrom<CallOutcome>('success', '5xx', 'gateway-error'), fc.nat(20_000)), { maxLength: 200 }),
        (pct, events) => {
          const { clock, detector, endpoints } = setup({ maxEjectionPercent: pct, consecutive5xx: 2, consecutiveGatewayErrors: 2 }, ['e0', 'e1', 'e2', 'e3', 'e4', 'e5']);
          for (const [i, outcome, dt] of events) {
            clock.t += dt;
            detector.record(`e${i}`, outcome);
            const healthy = detector.healthy(endpoints);
            expect(healthy.length).toBeGreaterThan(0);
            const ejected = endpoints.filter((e) => detector.isEjected(e.id)).length;
            expect(ejected).toBeLessThanOrEqual(Math.min(Math.floor((6 * pct) / 100), 5));
          }
        },
      ),
    );
  });
});

describe('classifyOutcome', () => {
  it.each([
    [{ status: 200 }, 'success'],
    [{ status: 404 }, 'success'],
    [{ status: 500 }, '5xx'],
    [{ status: 501 }, '5xx'],
    [{ status: 502 }, 'gateway-error'],
    [{ status: 503 }, 'gateway-error'],
    [{ status: 504 }, 'gateway-error'],
    [{ error: 'reset' as const }, 'gateway-error'],
    [{ error: 'connect-failure' as const }, 'gateway-error'],
    [{ error: 'timeout' as const }, 'gateway-error'],
  ])('%o → %s', (result, outcome) => {
    expect(classifyOutcome(result)).toBe(outcome);
  });
});
