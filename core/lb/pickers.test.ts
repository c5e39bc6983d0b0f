import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConsistentHashPicker } from './consistent-hash.ts';
import { LeastRequestPicker } from './least-request.ts';
import { countPicks, describePickerConformance, endpoint, expectShares, seededRandom } from '../../test/conformance/endpoint-picker.cases.ts';
import { createPicker } from './picker.ts';
import type { LbEndpoint } from './picker.ts';
import { RandomPicker } from './random-picker.ts';
import { RoundRobinPicker } from './round-robin.ts';
import { pickWeighted } from './weighted.ts';

describePickerConformance('round-robin', () => new RoundRobinPicker());
describePickerConformance('least-request', (random) => new LeastRequestPicker(random));
describePickerConformance('random', (random) => new RandomPicker(random));
describePickerConformance('consistent-hash', (random) => new ConsistentHashPicker(random));

describe('createPicker', () => {
  it.each([
    ['round-robin', RoundRobinPicker],
    ['least-request', LeastRequestPicker],
    ['random', RandomPicker],
    ['consistent-hash', ConsistentHashPicker],
  ] as const)('%s', (algorithm, type) => {
    expect(createPicker(algorithm, Math.random)).toBeInstanceOf(type);
  });
});

describe('round robin', () => {
  const sequence = (set: LbEndpoint[], n: number) => {
    const picker = new RoundRobinPicker();
    return Array.from({ length: n }, () => picker.pick(set, {})?.id).join('');
  };

  it('equal weights cycle in order', () => {
    expect(sequence([endpoint('a'), endpoint('b'), endpoint('c')], 7)).toBe('abcabca');
  });

  it('weights interleave smoothly, as nginx does (5,1,1 → aabacaa)', () => {
    expect(sequence([endpoint('a', 5), endpoint('b', 1), endpoint('c', 1)], 14)).toBe('aabacaaaabacaa');
  });

  it('property: every window of total-weight picks holds each endpoint exactly weight times', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 6 }), fc.integer({ min: 1, max: 4 }), (weights, rounds) => {
        const set = weights.map((w, i) => endpoint(`e${i}`, w));
        const total = weights.reduce((a, b) => a + b, 0);
        const picker = new RoundRobinPicker();
        const counts = new Map<string, number>();
        for (let i = 0; i < total * rounds; i++) {
          const id = picker.pick(set, {})?.id as string;
          counts.set(id, (counts.get(id) ?? 0) + 1);
        }
        for (const e of set) expect(counts.get(e.id) ?? 0).toBe(e.weight * rounds);
      }),
    );
  });

  it('an endpoint that leaves drops its state and the rest keep rotating', () => {
    const picker = new RoundRobinPicker();
    const [a, b, c] = [endpoint('a'), endpoint('b'), endpoint('c')];
    expect([a, b, c].map(() => picker.pick([a, b, c], {})?.id).join('')).toBe('abc');
    expect([1, 2, 3, 4].map(() => picker.pick([a, c], {})?.id).join('')).toBe('acac');
  });
});

describe('least request (power of two choices)', () => {
  it('with two endpoints, always the less loaded one', () => {
    const picker = new LeastRequestPicker(seededRandom(7));
    const loads: Record<string, number> = { a: 9, b: 2 };
    const set = [endpoint('a'), endpoint('b')];
    for (let i = 0; i < 100; i++) expect(picker.pick(set, { activeRequests: (id) => loads[id] ?? 0 })?.id).toBe('b');
  });

  it('property: the single most loaded endpoint (equal weights) is never picked', () => {
    fc.assert(
      fc.property(fc.integer(), fc.array(fc.nat(20), { minLength: 2, maxLength: 10 }), (seed, loads) => {
        const max = Math.max(...loads);
        fc.pre(loads.filter((l) => l === max).length === 1);
        const set = loads.map((_, i) => endpoint(`e${i}`));
        const picker = new LeastRequestPicker(seededRandom(seed));
        for (let i = 0; i < 20; i++) {
          const picked = picker.pick(set, { activeRequests: (id) => loads[Number(id.slice(1))] ?? 0 });
          expect(loads[Number(picked?.id.slice(1))]).toBeLessThan(max);
        }
      }),
    );
  });

  it('sends most picks to the least loaded of many', () => {
    const set = Array.from({ length: 10 }, (_, i) => endpoint(`e${i}`));
    const load = (id: string) => Number(id.slice(1)); // e0 idle … e9 busiest
    const counts = countPicks(new LeastRequestPicker(seededRandom(8)), set, 10_000, () => ({ activeRequests: load }));
    // P2C: the k-th least loaded of n wins with probability 2(n−k)/(n(n−1)); e0: 20 %, e9: 0 %
    expect(counts.get('e9')).toBeUndefined();
    expect(counts.get('e0') ?? 0).toBeGreaterThan(counts.get('e5') ?? 0);
    expect((counts.get('e0') ?? 0) / 10_000).toBeCloseTo(0.2, 1);
  });

  it('compares load per unit of weight', () => {
    const picker = new LeastRequestPicker(seededRandom(9));
    const set = [endpoint('big', 10), endpoint('small', 1)];
    const loads: Record<string, number> = { big: 5, small: 1 }; // 0.5 vs 1 per unit of weight
    for (let i = 0; i < 50; i++) expect(picker.pick(set, { activeRequests: (id) => loads[id] ?? 0 })?.id).toBe('big');
  });
});

describe('random', () => {
  it('is pickWeighted with the injected random', () => {
    const set = [endpoint('a', 1), endpoint('b', 0), endpoint('c', 2)];
    for (const r of [0, 0.2, 0.34, 0.5, 0.99]) expect(new RandomPicker(() => r).pick(set, {})).toBe(pickWeighted(set, () => r));
  });
});

describe('consistent hash', () => {
  const ten = Array.from({ length: 10 }, (_, i) => endpoint(`10.0.0.${i + 1}:8080`));
  const keys = Array.from({ length: 10_000 }, (_, i) => `user-${i}`);
  const assign = (picker: ConsistentHashPicker, set: LbEndpoint[]) => keys.map((k) => picker.pick(set, { hashKey: k })?.id);

  it('a key always lands on the same endpoint, in any proxy and any list order', () => {
    const one = assign(new ConsistentHashPicker(seededRandom(1)), ten);
    const other = assign(new ConsistentHashPicker(seededRandom(2)), [...ten].reverse());
    expect(other).toEqual(one);
  });

  it('removing one of 10 endpoints moves only its keys, about 1/10 of them', () => {
    const picker = new ConsistentHashPicker(seededRandom(1));
    const before = assign(picker, ten);
    const gone = ten[3] as LbEndpoint;
    const after = assign(
      picker,
      ten.filter((e) => e !== gone),
    );
    let moved = 0;
    before.forEach((id, i) => {
      if (id === after[i]) return;
      moved++;
      expect(id).toBe(gone.id); // nobody else's keys move
    });
    expect(moved / keys.length).toBeGreaterThan(0.05);
    expect(moved / keys.length).toBeLessThan(0.15);
  });

  it('adding an endpoint only takes keys for itself', () => {
    const picker = new ConsistentHashPicker(seededRandom(1));
    const before = assign(picker, ten);
    const added = endpoint('10.0.0.11:8080');
    const after = assign(picker, [...ten, added]);
    before.forEach((id, i) => {
      if (after[i] !== id) expect(after[i]).toBe(added.id);
    });
  });

  it('spreads distinct keys roughly by weight', () => {
    const set = [endpoint('a', 1), endpoint('b', 1), endpoint('c', 2), endpoint('d', 4)];
    const counts = new Map<string, number>();
    const picker = new ConsistentHashPicker(seededRandom(1));
    for (const k of keys) {
      const id = picker.pick(set, { hashKey: k })?.id as string;
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    // ring imbalance at 128 points per weight unit is ~10 %; allow 30 %
    for (const e of set) expect(Math.abs((counts.get(e.id) ?? 0) / keys.length - e.weight / 8)).toBeLessThan(0.3 * (e.weight / 8));
  });

  it('without a hash key it falls back to weighted random', () => {
    const set = [endpoint('a', 1), endpoint('b', 3)];
    const n = 8_000;
    expectShares(countPicks(new ConsistentHashPicker(seededRandom(11)), set, n), set, n);
  });

  it('keeps the ring bounded for large weights', () => {
    const heavy = Array.from({ length: 200 }, (_, i) => endpoint(`h${i}`, 1000));
    const picker = new ConsistentHashPicker(seededRandom(1));
    expect(heavy).toContain(picker.pick(heavy, { hashKey: 'x' }));
    expect(picker.pick(heavy, { hashKey: 'x' })).toBe(picker.pick([...heavy], { hashKey: 'x' }));
  });
});

describe('pickWeighted', () => {
  it.each([
    [0, 'a'],
    [0.249, 'a'],
    [0.25, 'c'],
    [0.999, 'c'],
    [1, 'c'], // an out-of-contract random() still yields a member
  ])('random %f → %s', (r, id) => {
    expect(pickWeighted([endpoint('a', 1), endpoint('b', 0), endpoint('c', 3)], () => r)?.id).toBe(id);
  });

  it('never picks weight 0 and gives undefined without weight', () => {
    expect(pickWeighted([], () => 0)).toBeUndefined();
    expect(pickWeighted([{ weight: 0 }, { weight: -1 }, { weight: Number.NaN }], () => 0.5)).toBeUndefined();
  });

  it('property: result has weight > 0 and is a member', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ weight: fc.integer({ min: 0, max: 100 }) })), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (items, r) => {
        const picked = pickWeighted(items, () => r);
        if (items.some((i) => i.weight > 0)) {
          expect(items).toContain(picked);
          expect(picked?.weight).toBeGreaterThan(0);
        } else expect(picked).toBeUndefined();
      }),
    );
  });
});
