// The authoritative side of `global` rate limits for sidecars: one token bucket per counter
// key, from which sidecars lease tokens in advance and spend them locally. A grant never
// exceeds what the bucket holds, so the mesh admits at most capacity + refill × elapsed (plus
// what sidecars admitted before their first answer, which they repay from their first grants).
// Tokens a sidecar did not spend come back when it returns them; a sidecar that vanished
// forfeits its lease, which costs at most that lease until the bucket refills.
//
// Pure and synchronous (the clock is an argument), so the Durable Object around it is a thin
// shell and the arithmetic is core's (tokensAt).
import type { TokenBucket } from '../../core/ratelimit/counter-store.ts';
import { tokensAt } from '../../core/ratelimit/token-bucket.ts';
import type { BucketState } from '../../core/ratelimit/token-bucket.ts';

/** How long a sidecar may spend a grant; it returns what is left after that. */
export const LEASE_TTL_MS = 10_000;
/** A holder that has not asked for a key for this long no longer counts as sharing it. */
export const HOLDER_WINDOW_MS = 10_000;
/** Returns are accepted up to what the holder was granted within this window. */
const RETURN_WINDOW_MS = 2 * LEASE_TTL_MS;
const DEFAULT_MAX_KEYS = 20_000;
const MAX_HOLDERS_PER_KEY = 256;

export interface LeaseAsk {
  /** The scoped counter key (`namespace/service|` + core's counterKey). */
  key: string;
  bucket: TokenBucket;
  /** Whole tokens wanted (0 = only returning, or only asking how many share the key). */
  want: number;
  /** Unspent whole tokens handed back. */
  returned: number;
}

export interface LeaseGrant {
  key: string;
  granted: number;
  /** Whole tokens left in the bucket after this grant. */
  remaining: number;
  /** Nodes that asked for this key within the holder window, the caller included. */
  holders: number;
}

interface Holder {
  seenAt: number;
  /** Tokens granted within the return window and not returned yet. */
  granted: number;
  grantedAt: number;
}

interface KeyState {
  bucket: BucketState;
  holders: Map<string, Holder>;
}

export class LeaseBook {
  readonly #maxKeys: number;
  // Map order is insertion order; re-inserting on each use keeps it least-recently-used first.
  readonly #keys = new Map<string, KeyState>();

  constructor(options: { maxKeys?: number } = {}) {
    this.#maxKeys = options.maxKeys ?? DEFAULT_MAX_KEYS;
  }

  get size(): number {
    return this.#keys.size;
  }

  /** One node's asks, answered in order. Asks for the same key in one call are not expected (the route refuses them). */
  lease(node: string, asks: readonly LeaseAsk[], now: number): LeaseGrant[] {
    return asks.map((ask) => this.#leaseOne(node, ask, now));
  }

  #leaseOne(node: string, ask: LeaseAsk, now: number): LeaseGrant {
    const state = this.#keys.get(ask.key) ?? { bucket: { tokens: ask.bucket.capacity, updatedAt: now }, holders: new Map<string, Holder>() };
    this.#keys.delete(ask.key);
    this.#keys.set(ask.key, state);
    if (this.#keys.size > this.#maxKeys) {
      // The least recently leased key has had the longest to refill: forgetting it (it comes
      // back full) costs at most one burst, as in core's memory store.
      const oldest = this.#keys.keys().next();
      if (!oldest.done) this.#keys.delete(oldest.value);
    }

    let tokens = tokensAt(state.bucket, ask.bucket, now);
    const holder = state.holders.get(node) ?? { seenAt: now, granted: 0, grantedAt: now };
    if (now - holder.grantedAt > RETURN_WINDOW_MS) holder.granted = 0;
    const credited = Math.min(ask.returned, holder.granted);
    holder.granted -= credited;
    tokens = Math.min(ask.bucket.capacity, tokens + credited);
    holder.seenAt = now;
    state.holders.delete(node);
    state.holders.set(node, holder);
    const holders = this.#liveHolders(state, now);

    // A fair share when several nodes draw on one key, so the first to ask after a refill
    // cannot take everything while the others deny; what it leaves stays in the bucket.
    const share = holders > 1 ? Math.ceil(tokens / holders) : tokens;
    const granted = Math.max(0, Math.min(ask.want, Math.floor(tokens + 1e-9), share));
    tokens -= granted;
    if (granted > 0) {
      holder.granted += granted;
      holder.grantedAt = now;
    }
    state.bucket = { tokens, updatedAt: Math.max(state.bucket.updatedAt, now) };
    return { key: ask.key, granted, remaining: Math.floor(tokens + 1e-9), holders };
  }

  #liveHolders(state: KeyState, now: number): number {
    for (const [id, h] of state.holders) if (now - h.seenAt > RETURN_WINDOW_MS || (now - h.seenAt > HOLDER_WINDOW_MS && h.granted === 0)) state.holders.delete(id);
    while (state.holders.size > MAX_HOLDERS_PER_KEY) {
      const oldest = state.holders.keys().next();
      if (oldest.done) break;
      state.holders.delete(oldest.value);
    }
    let live = 0;
    for (const h of state.holders.values()) if (now - h.seenAt <= HOLDER_WINDOW_MS) live++;
    return live;
  }
}
