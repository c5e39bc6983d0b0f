// The one conformance suite every CounterStore runs: the memory store in Node
// (core/ratelimit/memory-counter-store.test.ts) and the gateway's Durable Object store in
// workerd (test/workers/rate-limit-store.test.ts). Shared test cases, not a test file: named
// `.cases.ts` so vitest runs them only through an importer. Stores from `factory` may share
// state (a Durable Object namespace does), so every test counts under keys of its own.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CounterStore, TakeResult, TokenBucket } from '../../core/ratelimit/counter-store.ts';

export type CounterStoreFactory = () => CounterStore | Promise<CounterStore>;

export interface ConformanceOptions {
  /** fast-check runs for the property tests (lower it for a store behind I/O). */
  propertyRuns?: number;
  /**
   * For a store that reads its own clock instead of `take`'s `now` (the Durable Object store:
   * one clock per key, whichever caller asks): moves that clock to `now` (epoch ms). The suite
   * calls it before every take with the same `now` it passes, so each case runs on the same
   * timeline for both kinds of store. Without it the store must count on `now` alone.
   */
  setStoreClock?: (now: number) => void;
}

const T0 = 1_764_000_000_000; // a fixed epoch-ms origin; stores must not read a wall clock the suite does not drive
let keySeq = 0;
const freshKey = (label: string) => `conformance/${label}/${++keySeq}/${T0}`;

export function describeCounterStoreConformance(name: string, factory: CounterStoreFactory, options: ConformanceOptions = {}): void {
  const runs = options.propertyRuns ?? 100;
  const take = (store: CounterStore, key: string, bucket: TokenBucket, now: number): Promise<TakeResult> => {
    options.setStoreClock?.(now);
    return Promise.resolve(store.take(key, bucket, now));
  };
  const takeMany = async (store: CounterStore, key: string, bucket: TokenBucket, now: number, n: number): Promise<TakeResult[]> => {
    const out: TakeResult[] = [];
    for (let i = 0; i < n; i++) out.push(await take(store, key, bucket, now));
    return out;
  };

  describe(`CounterStore conformance: ${name}`, () => {
    it('a new key starts with a full bucket: capacity takes pass, the next is denied', async () => {
      const store = await factory();
      const key = freshKey('full');
      const bucket = { capacity: 3, refillPerSecond: 1 };
      const results = await takeMany(store, key, bucket, T0, 4);
      expect(results.map((r) => r.allowed)).toEqual([true, true, true, false]);
      expect(results.map((r) => r.remaining)).toEqual([2, 1, 0, 0]);
    });

    it('an allowed take reports retryAfter 0 and the seconds until the bucket is full again', async () => {
      const store = await factory();
      const bucket = { capacity: 10, refillPerSecond: 2 };
      const results = await takeMany(store, freshKey('reset'), bucket, T0, 3);
      // 1, 2, 3 tokens missing at 2 tokens/s: 0.5 s → 1, 1 s → 1, 1.5 s → 2
      expect(results.map((r) => [r.retryAfterSeconds, r.resetSeconds])).toEqual([[0, 1], [0, 1], [0, 2]]);
    });

    it('a denied take reports remaining 0, retryAfter until one token, reset until full', async () => {
      const store = await factory();
      const key = freshKey('denied');
      const bucket = { capacity: 5, refillPerSecond: 0.5 }; // one token every 2 s
      await takeMany(store, key, bucket, T0, 5);
      const denied = await take(store, key, bucket, T0);
      expect(denied).toEqual({ allowed: false, remaining: 0, retryAfterSeconds: 2, resetSeconds: 10 });
    });

    it('retryAfter is at least 1 second even when a token is due sooner', async () => {
      const store = await factory();
      const key = freshKey('min-retry');
      const bucket = { capacity: 1, refillPerSecond: 100 };
      await take(store, key, bucket, T0);
      const denied = await take(store, key, bucket, T0 + 5);
      expect(denied.allowed).toBe(false);
      expect(denied.retryAfterSeconds).toBe(1);
      expect(denied.resetSeconds).toBe(1);
    });

    it('refills at refillPerSecond: a token is back after exactly 1/rate seconds, not before', async () => {
      const store = await factory();
      const key = freshKey('refill');
      const bucket = { capacity: 2, refillPerSecond: 1 };
      await takeMany(store, key, bucket, T0, 2);
      expect((await take(store, key, bucket, T0 + 999)).allowed).toBe(false);
      expect((await take(store, key, bucket, T0 + 1000)).allowed).toBe(true);
      expect((await take(store, key, bucket, T0 + 1000)).allowed).toBe(false);
    });

    it('fractional rates stay exact: 10 per minute gives one token every 6 s', async () => {
      const store = await factory();
      const key = freshKey('fraction');
      const bucket = { capacity: 10, refillPerSecond: 10 / 60 };
      await takeMany(store, key, bucket, T0, 10);
      for (let i = 1; i <= 20; i++) {
        expect((await take(store, key, bucket, T0 + i * 6000 - 1)).allowed).toBe(false);
        const at = await take(store, key, bucket, T0 + i * 6000);
        expect(at.allowed).toBe(true);
        expect(at.remaining).toBe(0);
      }
    });

    it('never holds more than capacity, however long the key was idle', async () => {
      const store = await factory();
      const key = freshKey('idle');
      const bucket = { capacity: 4, refillPerSecond: 1 };
      await take(store, key, bucket, T0);
      const later = T0 + 86_400_000;
      const results = await takeMany(store, key, bucket, later, 5);
      expect(results.map((r) => r.allowed)).toEqual([true, true, true, true, false]);
    });

    it('keys count independently', async () => {
      const store = await factory();
      const bucket = { capacity: 1, refillPerSecond: 1 };
      const a = freshKey('a');
      const b = freshKey('b');
      expect((await take(store, a, bucket, T0)).allowed).toBe(true);
      expect((await take(store, a, bucket, T0)).allowed).toBe(false);
      expect((await take(store, b, bucket, T0)).allowed).toBe(true);
    });

    it('a clock that steps back mints no tokens', async () => {
      const store = await factory();
      const key = freshKey('backwards');
      const bucket = { capacity: 2, refillPerSecond: 1 };
      await takeMany(store, key, bucket, T0 + 10_000, 2);
      expect((await take(store, key, bucket, T0)).allowed).toBe(false);
      // back at the later time: still nothing refilled since T0 + 10 s
      expect((await take(store, key, bucket, T0 + 10_000)).allowed).toBe(false);
      expect((await take(store, key, bucket, T0 + 11_000)).allowed).toBe(true);
    });

    it('a smaller capacity on a later call clamps the stored tokens', async () => {
      const store = await factory();
      const key = freshKey('shrink');
      await take(store, key, { capacity: 100, refillPerSecond: 1 }, T0);
      const results = await takeMany(store, key, { capacity: 2, refillPerSecond: 1 }, T0, 3);
      expect(results.map((r) => r.allowed)).toEqual([true, true, false]);
    });

    it('concurrent takes never over-admit', async () => {
      const store = await factory();
      const key = freshKey('concurrent');
      const bucket = { capacity: 5, refillPerSecond: 1 };
      const results = await Promise.all(Array.from({ length: 12 }, () => take(store, key, bucket, T0)));
      expect(results.filter((r) => r.allowed)).toHaveLength(5);
    });

    it('property: admits at most capacity + rate × elapsed, and every answer is well-formed', async () => {
      const store = await factory();
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: 20 }),
          fc.integer({ min: 1, max: 600 }),
          fc.array(fc.integer({ min: 0, max: 3_000 }), { minLength: 1, maxLength: 60 }),
          async (capacity, perMinute, gaps) => {
            const key = freshKey('property');
            const bucket = { capacity, refillPerSecond: perMinute / 60 };
            let now = T0;
            let admitted = 0;
            let last: TakeResult | undefined;
            for (const gap of gaps) {
              now += gap;
              last = await take(store, key, bucket, now);
              if (last.allowed) admitted++;
              for (const v of [last.remaining, last.resetSeconds, last.retryAfterSeconds]) expect(Number.isInteger(v) && v >= 0).toBe(true);
              expect(last.remaining).toBeLessThan(capacity);
              if (last.allowed) expect(last.retryAfterSeconds).toBe(0);
              else expect(last.remaining === 0 && last.retryAfterSeconds >= 1).toBe(true);
            }
            const elapsed = (now - T0) / 1000;
            expect(admitted).toBeLessThanOrEqual(capacity + Math.floor(bucket.refillPerSecond * elapsed + 1e-9));
            // liveness: waiting retryAfter seconds after a denial is always enough
            if (last && !last.allowed) expect((await take(store, key, bucket, now + last.retryAfterSeconds * 1000)).allowed).toBe(true);
          },
        ),
        { numRuns: runs },
      );
    });
  });
}
