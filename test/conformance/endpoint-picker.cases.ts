// The one conformance suite every EndpointPicker runs (core/lb/pickers.test.ts runs it for
// all four algorithms), with the helpers the other lb tests share. Shared test cases, not a
// test file: named `.cases.ts` so vitest runs them only through an importer.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EndpointPicker, LbEndpoint, PickContext } from '../../core/lb/picker.ts';

/** A picker made from a random source, so each test controls its randomness. */
export type PickerFactory = (random: () => number) => EndpointPicker;

/** mulberry32: a tiny seeded PRNG in [0, 1), so statistical tests are reproducible. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function endpoint(id: string, weight = 1, labels: Record<string, string> = {}): LbEndpoint {
  return { id, address: `10.0.0.${id.length}`, port: 8080, weight, labels };
}

/**
 * Counts per id over `n` picks, and checks each share is within `sigmas` standard
 * deviations of weight / total (binomial: σ = √(n·p·(1−p))), the tolerance shrinking
 * relative to n as n grows.
 */
export function expectShares(counts: Map<string, number>, endpoints: readonly LbEndpoint[], n: number, sigmas = 5): void {
  const total = endpoints.reduce((s, e) => s + Math.max(0, e.weight), 0);
  for (const e of endpoints) {
    const p = Math.max(0, e.weight) / total;
    const expected = n * p;
    const tolerance = sigmas * Math.sqrt(n * p * (1 - p));
    const got = counts.get(e.id) ?? 0;
    if (Math.abs(got - expected) > tolerance)
      throw new Error(`endpoint ${e.id} (weight ${e.weight}) picked ${got} times of ${n}, expected ${expected.toFixed(0)} ± ${tolerance.toFixed(0)}`);
  }
}

export function countPicks(picker: EndpointPicker, endpoints: readonly LbEndpoint[], n: number, ctx: (i: number) => PickContext = () => ({})): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const e = picker.pick(endpoints, ctx(i));
    if (e) counts.set(e.id, (counts.get(e.id) ?? 0) + 1);
  }
  return counts;
}

const endpointsArb = fc
  .uniqueArray(fc.record({ id: fc.string({ minLength: 1, maxLength: 6 }), weight: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 1000 })) }), {
    selector: (e) => e.id,
    maxLength: 12,
  })
  .map((list) => list.map((e) => endpoint(e.id, e.weight)));

const ctxArb: fc.Arbitrary<PickContext> = fc.record(
  { hashKey: fc.string({ maxLength: 10 }), loads: fc.dictionary(fc.string({ maxLength: 6 }), fc.nat(50)) },
  { requiredKeys: [] },
).map(({ hashKey, loads }) => ({
  ...(hashKey === undefined ? {} : { hashKey }),
  ...(loads === undefined ? {} : { activeRequests: (id: string) => loads[id] ?? 0 }),
}));

export function describePickerConformance(name: string, factory: PickerFactory): void {
  describe(`EndpointPicker conformance: ${name}`, () => {
    it('an empty set gives undefined', () => {
      expect(factory(seededRandom(1)).pick([], {})).toBeUndefined();
      expect(factory(seededRandom(1)).pick([], { hashKey: 'k' })).toBeUndefined();
    });

    it('a set of weight-0 endpoints gives undefined', () => {
      const zeros = [endpoint('a', 0), endpoint('b', 0)];
      expect(factory(seededRandom(1)).pick(zeros, {})).toBeUndefined();
      expect(factory(seededRandom(1)).pick(zeros, { hashKey: 'k' })).toBeUndefined();
    });

    it('the one endpoint with weight is always the pick', () => {
      const picker = factory(seededRandom(2));
      const set = [endpoint('a', 0), endpoint('b', 3), endpoint('c', 0)];
      for (let i = 0; i < 50; i++) expect(picker.pick(set, i % 2 ? { hashKey: `k${i}` } : {})?.id).toBe('b');
    });

    it('property: always picks a member of the set with weight > 0, or undefined only when none has', () => {
      fc.assert(
        fc.property(fc.integer(), fc.array(fc.tuple(endpointsArb, ctxArb), { minLength: 1, maxLength: 8 }), (seed, calls) => {
          // one picker across calls: state left by one set must not leak into the next
          const picker = factory(seededRandom(seed));
          for (const [set, ctx] of calls) {
            const picked = picker.pick(set, ctx);
            if (set.some((e) => e.weight > 0)) {
              expect(set).toContain(picked);
              expect(picked?.weight).toBeGreaterThan(0);
            } else expect(picked).toBeUndefined();
          }
        }),
      );
    });

    it('without load or hash key, picks follow the weights over many picks', () => {
      const set = [endpoint('a', 1), endpoint('b', 2), endpoint('c', 3), endpoint('d', 0), endpoint('e', 4)];
      const n = 20_000;
      const counts = countPicks(factory(seededRandom(3)), set, n);
      expect(counts.get('d')).toBeUndefined();
      expectShares(counts, set, n);
    });

    it('equal weights spread evenly', () => {
      const set = Array.from({ length: 7 }, (_, i) => endpoint(`ep-${i}`));
      const n = 14_000;
      expectShares(countPicks(factory(seededRandom(4)), set, n), set, n);
    });

    it('keeps working as endpoints leave and return', () => {
      const picker = factory(seededRandom(5));
      const all = [endpoint('a'), endpoint('b'), endpoint('c')];
      for (let i = 0; i < 30; i++) {
        const set = all.filter((_, j) => j !== i % 3);
        expect(set).toContain(picker.pick(set, {}));
      }
    });
  });
}
