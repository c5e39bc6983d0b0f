import { describe, expect, it } from 'vitest';
import { describeCounterStoreConformance } from '../../test/conformance/counter-store.cases.ts';
import { MemoryCounterStore } from './memory-counter-store.ts';

describeCounterStoreConformance('memory', () => new MemoryCounterStore());
describeCounterStoreConformance('memory (tiny bound)', () => new MemoryCounterStore({ maxKeys: 8 }));

describe('MemoryCounterStore bound', () => {
  const bucket = { capacity: 1, refillPerSecond: 1 };

  it('never holds more than maxKeys buckets', async () => {
    const store = new MemoryCounterStore({ maxKeys: 50 });
    for (let i = 0; i < 500; i++) await store.take(`k${i}`, bucket, 0);
    expect(store.size).toBe(50);
  });

  it('drops the least recently used bucket, which then comes back full', async () => {
    const store = new MemoryCounterStore({ maxKeys: 2 });
    await store.take('a', bucket, 0);
    await store.take('b', bucket, 0);
    expect((await store.take('a', bucket, 0)).allowed).toBe(false); // a is now most recent
    await store.take('c', bucket, 0); // evicts b
    expect((await store.take('a', bucket, 0)).allowed).toBe(false);
    expect((await store.take('b', bucket, 0)).allowed).toBe(true);
  });

  it('refuses a bound that is not a positive integer', () => {
    expect(() => new MemoryCounterStore({ maxKeys: 0 })).toThrow(RangeError);
    expect(() => new MemoryCounterStore({ maxKeys: 1.5 })).toThrow(RangeError);
  });

  it('refuses a bucket that could never admit or refill', async () => {
    const store = new MemoryCounterStore();
    expect(() => store.take('x', { capacity: 0, refillPerSecond: 1 }, 0)).toThrow(RangeError);
    expect(() => store.take('x', { capacity: 1, refillPerSecond: 0 }, 0)).toThrow(RangeError);
  });
});
