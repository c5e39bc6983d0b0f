// The sidecar's CounterStore for `global` rate limits: tokens are leased from control's bucket
// for the key (POST /v1/ratelimit/leases) and spent here, synchronously, so no request ever
// waits on control. A lease running low is topped up in the background: keys batched, one
// call in flight at most, at most one call per `refreshMs` (a key never seen before is asked
// for after `firstAskMs`), backing off while control is down.
//
// A key never seen before admits its first request at once, as debt asked for on top of the
// first lease and repaid from it; later requests wait for that lease (denied, never delayed),
// so the mesh as a whole admits no more than control's bucket grants plus one request per
// sidecar and key. When control cannot be reached (or a call has been in flight for a whole
// refresh interval), keys without leased tokens count locally on a share of the limit
// (capacity and refill divided by the sidecars control last said share the key), owing
// nothing, and the outage is logged once. Unspent tokens go back to control when a lease is
// bigger than demand and fair share (rebalancing), when a key falls idle, when its lease
// expires, and when the sidecar stops. See docs/policies.md ("global in the mesh").
import { createHash } from 'node:crypto';
import type { CounterStore, TakeResult, TokenBucket } from '../../core/ratelimit/counter-store.ts';
import { takeToken } from '../../core/ratelimit/token-bucket.ts';
import type { BucketState } from '../../core/ratelimit/token-bucket.ts';
import { Backoff } from '../control/backoff.ts';
import type { LeaseAnswer, LeaseFn, LeaseItem } from './lease-call.ts';
import { MAX_LEASE_KEYS } from './lease-call.ts';

/** Timers and time, injected by tests. */
export interface LeaseClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface LeasedCounterStoreOptions {
  lease: LeaseFn;
  clock?: LeaseClock;
  /** Least time between two calls (default 1000 ms). */
  refreshMs?: number;
  /** Least time between calls when a key never seen before waits for its first lease (default 100 ms). */
  firstAskMs?: number;
  /** A key unused this long gives its tokens back and is forgotten (default 5000 ms). */
  idleMs?: number;
  /** Backoff after a failed call; never shorter than refreshMs (default 1 s to 30 s). */
  backoff?: { baseMs: number; maxMs: number };
  /** Keys held at most (default 10 000); past it the least recently used one is dropped. */
  maxKeys?: number;
  log?: (entry: Record<string, unknown>) => void;
}

export interface LeasedCounterStoreStatus {
  /** `leased`: control answers; `local`: control unreachable, limits split locally. */
  mode: 'leased' | 'local';
  keys: number;
  /** Leased tokens held and not spent yet, over all keys. */
  held: number;
  lastError: string | null;
}

interface KeyLease {
  bucket: TokenBucket;
  /** Leased tokens not spent yet; negative = debt (admitted before the first lease). */
  tokens: number;
  answered: boolean;
  /** Positive tokens may be spent until then (store clock). */
  expiresAt: number;
  /** Control's bucket after the last grant, and how many sidecars share the key. */
  remaining: number;
  holders: number;
  /** Asks again when `tokens` falls to this. */
  lowWater: number;
  lastUsed: number;
  takesSinceAsk: number;
  askedAt: number;
  /** Whole tokens to hand back at the next call. */
  returnable: number;
  /** The local share bucket, while the key has no lease to spend (first use, control down). */
  share?: BucketState;
}

/** Requests a key may admit ahead of its first lease (owed, and repaid from that lease). */
const FIRST_USE_DEBT = 1;

const realClock: LeaseClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

// Counter keys hold header and claim values; long ones go to control as a digest so a batch
// stays within control's per-key bound.
const MAX_WIRE_KEY = 200;
function wireKey(key: string): string {
  return key.length <= MAX_WIRE_KEY ? key : `sha256:${createHash('sha256').update(key).digest('base64url')}`;
}

function checkBucket(b: TokenBucket): void {
  if (!(Number.isFinite(b.capacity) && b.capacity >= 1) || !(Number.isFinite(b.refillPerSecond) && b.refillPerSecond > 0))
    throw new RangeError(`invalid token bucket: capacity ${b.capacity} (needs ≥ 1), refillPerSecond ${b.refillPerSecond} (needs > 0)`);
}

export class LeasedCounterStore implements CounterStore {
  readonly #lease: LeaseFn;
  readonly #clock: LeaseClock;
  readonly #refreshMs: number;
  readonly #firstAskMs: number;
  readonly #idleMs: number;
  readonly #maxKeys: number;
  readonly #backoff: Backoff;
  readonly #log: (entry: Record<string, unknown>) => void;
  readonly #keys = new Map<string, KeyLease>();
  /** Sidecars sharing keys, as control last said: splits a limit for local counting. */
  #peers = 1;
  #down = false;
  #lastError: string | null = null;
  #gapMs: number;
  #lastSentAt = -Infinity;
  #lastTickAt = -Infinity;
  #inFlight: Promise<void> | undefined;
  #inFlightSince: number | undefined;
  #timer: unknown;
  #timerAt = Infinity;
  #wanted = false;
  #wantedNew = false;
  #closed = false;

  constructor(options: LeasedCounterStoreOptions) {
    this.#lease = options.lease;
    this.#clock = options.clock ?? realClock;
    this.#refreshMs = options.refreshMs ?? 1000;
    this.#firstAskMs = Math.min(options.firstAskMs ?? 100, this.#refreshMs);
    this.#idleMs = options.idleMs ?? 5000;
    this.#maxKeys = options.maxKeys ?? 10_000;
    this.#backoff = new Backoff(options.backoff ?? { baseMs: 1000, maxMs: 30_000 });
    this.#gapMs = this.#refreshMs;
    this.#log = options.log ?? (() => undefined);
  }

  status(): LeasedCounterStoreStatus {
    let held = 0;
    for (const k of this.#keys.values()) held += Math.max(0, Math.floor(k.tokens));
    return { mode: this.#down ? 'local' : 'leased', keys: this.#keys.size, held, lastError: this.#lastError };
  }

  /** Counts on the store's clock (the caller's `now` is not used: leases expire on one clock). */
  take(key: string, bucket: TokenBucket, _now?: number): TakeResult {
    checkBucket(bucket);
    const now = this.#clock.now();
    const k = this.#keyLease(key, bucket, now);
    k.takesSinceAsk++;
    this.#expire(k, now);
    if (k.tokens >= 1) {
      k.tokens--;
      if (k.tokens <= k.lowWater) this.#want(false);
      return this.#leasedResult(k, true);
    }
    if (!this.#down && !this.#slow(now)) {
      // Control answers: only leases are spent. A key never seen before gets one request ahead
      // of its first lease, as debt; the rest wait for the lease (denied, not delayed).
      this.#want(!k.answered);
      if (!k.answered && k.tokens > -FIRST_USE_DEBT) {
        k.tokens--;
        return this.#leasedResult(k, true);
      }
      return this.#leasedResult(k, false);
    }
    // Control down, or too slow to answer: count locally on this sidecar's share. While control
    // is only slow, what the share admits is owed, repaid from the next grants, so slow answers
    // cannot add to what the limit admits over time; a control that is down cannot be repaid.
    const peers = Math.max(1, k.answered ? k.holders : this.#peers);
    const share = { capacity: Math.max(1, bucket.capacity / peers), refillPerSecond: bucket.refillPerSecond / peers };
    const { state, result } = takeToken(k.share, share, now);
    k.share = state;
    if (result.allowed && !this.#down) k.tokens--;
    this.#want(false);
    return result;
  }

  /** A call in flight for a whole refresh interval: control is treated as down until it ends. */
  #slow(now: number): boolean {
    return this.#inFlightSince !== undefined && now - this.#inFlightSince >= this.#refreshMs;
  }

  /** Stops the timers and hands unspent tokens back in one last call (bounded by `timeoutMs`). */
  async close(timeoutMs = 2000): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#clearTimer();
    const items: LeaseItem[] = [];
    for (const [key, k] of this.#keys) {
      const back = Math.max(0, Math.floor(k.tokens)) + k.returnable;
      if (back > 0 && k.answered) items.push({ key: wireKey(key), capacity: k.bucket.capacity, refillPerSecond: k.bucket.refillPerSecond, want: 0, return: back });
    }
    this.#keys.clear();
    if (items.length === 0 || this.#down) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    const sends = [];
    for (let i = 0; i < items.length; i += MAX_LEASE_KEYS) sends.push(this.#lease(items.slice(i, i + MAX_LEASE_KEYS), { final: true }).catch(() => undefined));
    await Promise.race([Promise.all(sends), timeout]);
    clearTimeout(timer);
  }

  #keyLease(key: string, bucket: TokenBucket, now: number): KeyLease {
    let k = this.#keys.get(key);
    if (k) this.#keys.delete(key);
    else
      k = { bucket, tokens: 0, answered: false, expiresAt: now, remaining: 0, holders: 1, lowWater: 0, lastUsed: now, takesSinceAsk: 0, askedAt: now, returnable: 0 };
    this.#keys.set(key, k);
    if (this.#keys.size > this.#maxKeys) {
      const oldest = this.#keys.keys().next();
      if (!oldest.done) this.#keys.delete(oldest.value);
    }
    k.bucket = bucket;
    k.lastUsed = now;
    return k;
  }

  /**
   * An expired lease's unspent tokens are no longer ours to spend: they go back at the next
   * call, and the key starts over as if new (admitted from the share, as debt, until the next
   * lease), so a key used steadily but slowly is not denied for holding a stale lease.
   */
  #expire(k: KeyLease, now: number): void {
    if (k.answered && k.tokens >= 1 && now >= k.expiresAt) {
      k.returnable += Math.floor(k.tokens);
      k.tokens -= Math.floor(k.tokens);
      k.answered = false;
    }
  }

  #leasedResult(k: KeyLease, allowed: boolean): TakeResult {
    const { capacity, refillPerSecond: rate } = k.bucket;
    const remaining = Math.max(0, Math.min(Math.ceil(capacity) - 1, Math.floor(Math.max(0, k.tokens)) + k.remaining));
    return {
      allowed,
      remaining,
      resetSeconds: Math.ceil((capacity - remaining) / rate),
      retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil(1 / rate)),
    };
  }

  #want(firstUse: boolean): void {
    if (this.#closed) return;
    this.#wanted = true;
    if (firstUse) this.#wantedNew = true;
    this.#schedule();
  }

  #schedule(): void {
    if (this.#closed || this.#inFlight) return;
    // Housekeeping (surplus and idle returns) runs while keys are held, even with nothing sent.
    const housekeepingMs = Math.min(this.#idleMs, 2 * this.#refreshMs);
    const at = this.#wanted
      ? this.#lastSentAt + (this.#wantedNew && !this.#down ? this.#firstAskMs : this.#gapMs)
      : Math.max(this.#lastSentAt, this.#lastTickAt) + housekeepingMs;
    const now = this.#clock.now();
    if (at <= now) {
      this.#clearTimer();
      this.#send();
      return;
    }
    if (this.#timer !== undefined && this.#timerAt <= at) return;
    this.#clearTimer();
    this.#timerAt = at;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.#timerAt = Infinity;
      this.#wanted = true; // a housekeeping tick sends whatever is due
      this.#schedule();
    }, at - now);
  }

  #clearTimer(): void {
    if (this.#timer === undefined) return;
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Infinity;
  }

  // The call is set up after the take that asked for it has returned (a microtask later), so a
  // take never pays for building a batch or opening a connection.
  #send(): void {
    this.#inFlight = (async () => {
      await undefined;
      const now = this.#clock.now();
      this.#wanted = false;
      this.#wantedNew = false;
      const batch = this.#batch(now);
      if (batch.items.length === 0) {
        this.#lastTickAt = now;
        return;
      }
      this.#lastSentAt = now;
      this.#inFlightSince = now;
      let answer: LeaseAnswer;
      try {
        answer = await this.#lease(batch.items, { final: false });
      } catch (e) {
        this.#failed(e);
        return;
      }
      this.#apply(answer, batch.keys, now);
    })().finally(() => {
      this.#inFlight = undefined;
      this.#inFlightSince = undefined;
      this.#afterCall();
    });
  }

  #afterCall(): void {
    if (this.#wanted || this.#keys.size > 0) this.#schedule();
  }

  /** What is due now: first leases, top-ups under the low-water mark, returns; forgets idle keys. */
  #batch(now: number): { items: LeaseItem[]; keys: Map<string, string> } {
    const items: LeaseItem[] = [];
    const keys = new Map<string, string>();
    for (const [key, k] of this.#keys) {
      this.#expire(k, now);
      const idle = now - k.lastUsed >= this.#idleMs;
      let back = k.returnable;
      let want = 0;
      if (idle) {
        back += Math.max(0, Math.floor(k.tokens));
        k.tokens = Math.min(0, k.tokens);
        // Debt is repaid before the key is forgotten; an idle key with nothing owed just goes.
        want = k.answered || !this.#down ? Math.ceil(-k.tokens) : 0;
        if (want === 0) this.#keys.delete(key);
      } else if (!k.answered || k.tokens <= k.lowWater) {
        want = this.#target(k, now) - Math.floor(k.tokens);
      } else if (now - k.askedAt >= 2 * this.#refreshMs) {
        // Rebalancing: a lease bigger than both this sidecar's recent demand and its fair share
        // of the burst goes back in part, for the sidecars that share the key.
        const keep = Math.max(this.#target(k, now), Math.ceil(k.bucket.capacity / Math.max(1, k.holders)));
        const surplus = Math.floor(k.tokens) - keep;
        if (surplus > 0) {
          back += surplus;
          k.tokens -= surplus;
        }
      }
      if (back === 0 && want <= 0) continue;
      if (items.length >= MAX_LEASE_KEYS) {
        this.#wanted = true; // the rest goes in the next call
        break;
      }
      k.returnable = 0;
      k.takesSinceAsk = 0;
      k.askedAt = now;
      const wire = wireKey(key);
      keys.set(wire, key);
      items.push({ key: wire, capacity: k.bucket.capacity, refillPerSecond: k.bucket.refillPerSecond, want: Math.max(0, want), return: back });
    }
    return { items, keys };
  }

  /**
   * Tokens to hold after this call: the demand seen since the last ask, over two refresh
   * intervals (so a lease lasts until the next top-up), at most the burst. A first lease asks
   * for this sidecar's share of the burst, as a new key's demand is not known yet.
   */
  #target(k: KeyLease, now: number): number {
    const { capacity } = k.bucket;
    const perMs = k.takesSinceAsk / Math.max(this.#refreshMs, now - k.askedAt);
    const byDemand = Math.ceil(perMs * 2 * this.#refreshMs);
    const firstShare = k.answered ? 0 : Math.ceil(capacity / Math.max(1, this.#peers));
    const target = Math.max(1, Math.min(Math.floor(capacity), Math.max(byDemand, firstShare)));
    k.lowWater = Math.floor(target / 2);
    return target;
  }

  #apply(answer: LeaseAnswer, keys: Map<string, string>, sentAt: number): void {
    let peers = 0;
    for (const l of answer.leases) {
      peers = Math.max(peers, l.holders);
      const key = keys.get(l.key);
      const k = key === undefined ? undefined : this.#keys.get(key);
      if (!k) continue; // forgotten meanwhile (idle or evicted): its grant was 0 or is lost
      k.tokens += l.granted;
      k.answered = true;
      // From when the call was sent: never later than control's own view of the lease.
      k.expiresAt = sentAt + answer.ttlMs;
      k.remaining = l.remaining;
      k.holders = Math.max(1, l.holders);
      k.share = undefined;
    }
    if (peers > 0) this.#peers = peers;
    this.#backoff.reset();
    this.#gapMs = this.#refreshMs;
    if (this.#down) this.#log({ level: 'info', component: 'sidecar.ratelimit', msg: 'control reachable again; global rate limits count on leases' });
    this.#down = false;
    this.#lastError = null;
  }

  // Tokens asked for or handed back in a failed call are not retried: control may have
  // counted them, and counting twice would admit more than the limit.
  #failed(e: unknown): void {
    if (this.#closed) return; // a call cut short by shutdown says nothing about control
    this.#lastError = (e as Error)?.message ?? String(e);
    this.#gapMs = Math.max(this.#refreshMs, this.#backoff.next());
    this.#wanted = true;
    if (!this.#down)
      this.#log({
        level: 'warn',
        component: 'sidecar.ratelimit',
        msg: `global rate limits cannot lease from control; counting locally, each limit split between ${this.#peers} sidecar(s)`,
        error: this.#lastError,
      });
    this.#down = true;
  }
}

export function createLeasedCounterStore(options: LeasedCounterStoreOptions): LeasedCounterStore {
  return new LeasedCounterStore(options);
}
