// In-process CounterStore: the `local` scope, one per proxy. Memory is bounded by
// `maxKeys` buckets (default 10 000, roughly 150–250 bytes each with its key, so a few MB
// at most). Past the bound the least recently used bucket is dropped; that bucket has had
// the longest time to refill, so it is usually full already and forgetting it changes
// nothing (a dropped bucket comes back full). Under a flood of distinct keys larger than the
// bound, a dropped bucket that was not full yet hands its key at most one extra burst.
import type { CounterStore, TakeResult, TokenBucket } from './counter-store.ts';
import { takeToken } from './token-bucket.ts';
import type { BucketState } from './token-bucket.ts';

export const DEFAULT_MAX_KEYS = 10_000;

export class MemoryCounterStore implements CounterStore {
  readonly maxKeys: number;
  // A Map iterates in insertion order; re-inserting on every take makes that LRU order.
  readonly #buckets = new Map<string, BucketState>();

  constructor(options: { maxKeys?: number } = {}) {
    const maxKeys = options.maxKeys ?? DEFAULT_MAX_KEYS;
    if (!Number.isInteger(maxKeys) || maxKeys < 1) throw new RangeError(`maxKeys must be a positive integer, got ${maxKeys}`);
    this.maxKeys = maxKeys;
  }

  /** Buckets held now (≤ maxKeys). */
  get size(): number {
    return this.#buckets.size;
  }

  // Synchronous: concurrent takes cannot interleave between read and write, and a proxy's
  // local limits cost no promise. A bad bucket throws (checkRateLimits fails open on it).
  take(key: string, bucket: TokenBucket, now: number): TakeResult {
    const { state, result } = takeToken(this.#buckets.get(key), bucket, now);
    this.#buckets.delete(key);
    this.#buckets.set(key, state);
    if (this.#buckets.size > this.maxKeys) {
      const oldest = this.#buckets.keys().next();
      if (!oldest.done) this.#buckets.delete(oldest.value);
    }
    return result;
  }
}
