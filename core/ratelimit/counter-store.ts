// The rate-limit counter store: the one narrow interface behind `local` limits (a memory
// store in each proxy) and `global` limits (a Durable Object at the gateway). Both run the
// same conformance suite (counter-store-conformance.ts) and the same bucket arithmetic
// (token-bucket.ts), so a limit means the same thing whichever store counts it.

/** A token bucket: `capacity` = burst, `refillPerSecond` = requests / period. */
export interface TokenBucket {
  capacity: number;
  refillPerSecond: number;
}

/** The answer to one `take`. Every field is a whole number (they go into HTTP headers). */
export interface TakeResult {
  allowed: boolean;
  /** Whole tokens left after this take. */
  remaining: number;
  /** Seconds until the bucket is full again (0 when it is full). */
  resetSeconds: number;
  /** When denied: seconds until one token is available (≥ 1). 0 when allowed. */
  retryAfterSeconds: number;
}

export interface CounterStore {
  /**
   * Takes one token from the bucket named `key`, creating it full if unknown. `now` is in
   * milliseconds (epoch or any monotonic origin, as long as one store sees one clock). A
   * store in memory answers synchronously (a bad bucket throws); a remote one with a promise.
   */
  take(key: string, bucket: TokenBucket, now: number): TakeResult | Promise<TakeResult>;
}
