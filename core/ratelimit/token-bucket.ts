// Token-bucket arithmetic shared by every CounterStore: state in, state and answer out, no
// I/O, so the memory store and the Durable Object store cannot drift apart.
import type { TakeResult, TokenBucket } from './counter-store.ts';

/** What a store keeps per key. `tokens` may be fractional; `updatedAt` is in ms. */
export interface BucketState {
  tokens: number;
  updatedAt: number;
}

// Refill is `elapsed × rate`, and rates such as 10/minute are not exact in binary, so a
// bucket that should hold exactly 1 token may hold 0.9999999999. Snapping values this close
// to a whole number keeps "one token every 6 s" exact.
const SNAP = 1e-9;

function snap(n: number): number {
  const r = Math.round(n);
  return Math.abs(n - r) < SNAP ? r : n;
}

function checkBucket(bucket: TokenBucket): void {
  if (!(Number.isFinite(bucket.capacity) && bucket.capacity >= 1) || !(Number.isFinite(bucket.refillPerSecond) && bucket.refillPerSecond > 0))
    throw new RangeError(`invalid token bucket: capacity ${bucket.capacity} (needs ≥ 1), refillPerSecond ${bucket.refillPerSecond} (needs > 0)`);
}

/** Tokens in the bucket at `now`, without taking any. A clock that goes back refills nothing. */
export function tokensAt(state: BucketState | undefined, bucket: TokenBucket, now: number): number {
  if (!state) return bucket.capacity;
  const elapsedMs = Math.max(0, now - state.updatedAt);
  return Math.min(bucket.capacity, snap(state.tokens + (elapsedMs / 1000) * bucket.refillPerSecond));
}

/** One take: the new state to store and the answer to give. */
export function takeToken(state: BucketState | undefined, bucket: TokenBucket, now: number): { state: BucketState; result: TakeResult } {
  checkBucket(bucket);
  const before = tokensAt(state, bucket, now);
  const allowed = before >= 1;
  const tokens = allowed ? snap(before - 1) : before;
  // Keep the later timestamp so a clock that steps back cannot refill the same time twice.
  const updatedAt = state ? Math.max(state.updatedAt, now) : now;
  const rate = bucket.refillPerSecond;
  return {
    state: { tokens, updatedAt },
    result: {
      allowed,
      remaining: Math.floor(tokens),
      resetSeconds: Math.ceil(snap((bucket.capacity - tokens) / rate)),
      retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil(snap((1 - tokens) / rate))),
    },
  };
}
