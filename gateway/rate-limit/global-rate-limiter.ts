// `global` rate limits: one Durable Object per counter key holds that key's token bucket, so
// every gateway isolate in every location counts against the same bucket. The bucket
// arithmetic is core's (the memory store inside the object), on the object's clock.
import { DurableObject } from 'cloudflare:workers';
import { MemoryCounterStore } from '../../core/ratelimit/memory-counter-store.ts';
import type { CounterStore, TakeResult, TokenBucket } from '../../core/ratelimit/counter-store.ts';

export class GlobalRateLimiter extends DurableObject {
  private readonly buckets = new MemoryCounterStore({ maxKeys: 64 });

  take(key: string, bucket: TokenBucket): TakeResult {
    return this.buckets.take(key, bucket, Date.now());
  }
}

/** The gateway's CounterStore for `global` limits (the caller's clock is not used: one clock per key). */
export class DurableObjectCounterStore implements CounterStore {
  private readonly namespace: DurableObjectNamespace<GlobalRateLimiter>;

  constructor(namespace: DurableObjectNamespace<GlobalRateLimiter>) {
    this.namespace = namespace;
  }

  take(key: string, bucket: TokenBucket): Promise<TakeResult> {
    return this.namespace.get(this.namespace.idFromName(key)).take(key, bucket);
  }
}
