// The sidecar's leased CounterStore for `global` limits, in-process and deterministic: a manual
// clock drives its timers, and a fake control answers its lease calls from control's own lease
// book (the arithmetic the Durable Object runs), either at once or when the test says.
import { setImmediate as turn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { LeaseBook } from '../../control/state/lease-book.ts';
import type { LeaseAnswer, LeaseItem } from '../../sidecar/ratelimit/lease-call.ts';
import { createLeasedCounterStore } from '../../sidecar/ratelimit/leased-counter-store.ts';
import type { LeaseClock, LeasedCounterStoreOptions } from '../../sidecar/ratelimit/leased-counter-store.ts';

const T0 = 1_764_000_000_000;

class ManualClock implements LeaseClock {
  #now = T0;
  #timers: { at: number; fn: () => void; id: number }[] = [];
  #seq = 0;
  now(): number {
    return this.#now;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.#seq;
    this.#timers.push({ at: this.#now + ms, fn, id });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.#timers = this.#timers.filter((t) => t.id !== handle);
  }
  /** Moves time on, firing due timers in order (and letting their calls settle). */
  async advance(ms: number): Promise<void> {
    await settle(); // what is already under way happens now, not after the jump
    const end = this.#now + ms;
    for (;;) {
      const due = this.#timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.#timers = this.#timers.filter((t) => t !== due);
      this.#now = Math.max(this.#now, due.at);
      due.fn();
      await settle();
    }
    this.#now = end;
    await settle();
  }
}

/** Lets promise chains (a lease answer and what follows it) run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await turn();
}

interface Call {
  node: string;
  items: LeaseItem[];
  final: boolean;
  resolve: () => void;
  reject: (e: Error) => void;
}

/** Control as the lease book, one shared by every store; `auto` answers at once, else calls wait for answer()/fail(). */
class FakeControl {
  readonly book = new LeaseBook();
  readonly calls: Call[] = [];
  readonly pending: Call[] = [];
  auto = true;
  readonly clock: ManualClock;
  constructor(clock: ManualClock) {
    this.clock = clock;
  }

  leaseFn(node: string) {
    return (items: LeaseItem[], { final }: { final: boolean }): Promise<LeaseAnswer> =>
      new Promise<LeaseAnswer>((resolveAnswer, rejectAnswer) => {
        const call: Call = {
          node,
          items,
          final,
          resolve: () => {
            const grants = this.book.lease(node, items.map((i) => ({ key: i.key, bucket: { capacity: i.capacity, refillPerSecond: i.refillPerSecond }, want: i.want, returned: i.return })), this.clock.now());
            resolveAnswer({ ttlMs: 10_000, leases: grants });
          },
          reject: (e) => rejectAnswer(e),
        };
        this.calls.push(call);
        if (this.auto) call.resolve();
        else this.pending.push(call);
      });
  }

  async answer(): Promise<void> {
    this.pending.shift()?.resolve();
    await settle();
  }

  async fail(): Promise<void> {
    this.pending.shift()?.reject(new Error('POST /v1/ratelimit/leases: control at http://127.0.0.1:1 unreachable (ECONNREFUSED)'));
    await settle();
  }
}

const bucket = { capacity: 100, refillPerSecond: 10 };

function setup(extra: Partial<LeasedCounterStoreOptions> = {}) {
  const clock = new ManualClock();
  const control = new FakeControl(clock);
  const logs: Record<string, unknown>[] = [];
  const make = (node: string) => createLeasedCounterStore({ lease: control.leaseFn(node), clock, log: (e) => logs.push(e), ...extra });
  return { clock, control, logs, make };
}

function takeN(store: { take: (k: string, b: typeof bucket, n: number) => { allowed: boolean } }, n: number, key = 'k', now = T0): number {
  let allowed = 0;
  for (let i = 0; i < n; i++) if (store.take(key, bucket, now).allowed) allowed++;
  return allowed;
}

describe('LeasedCounterStore', () => {
  it('admits a key never seen before at once, as debt, and asks control for it in the background', async () => {
    const { control, make } = setup();
    control.auto = false;
    const store = make('a');
    const first = store.take('k', bucket, T0);
    expect(first).toMatchObject({ allowed: true }); // synchronous: no promise, nothing awaited
    expect(control.calls).toHaveLength(0); // the call is made after the take returned
    await settle();
    expect(control.calls).toHaveLength(1);
    // the first lease asks for this sidecar's share of the burst plus the one admitted as debt
    expect(control.calls[0]?.items).toEqual([{ key: 'k', capacity: 100, refillPerSecond: 10, want: 101, return: 0 }]);
    await control.answer();
    // control granted 100 of the 101; the debt was paid from it, so 99 are left to spend
    expect(takeN(store, 99)).toBe(99);
  });

  it('admits one request of a new key ahead of its lease, denies the rest until it comes, and counts locally, as debt, if it is slow', async () => {
    const { clock, control, make } = setup({ refreshMs: 1000 });
    control.auto = false;
    const store = make('a');
    expect(takeN(store, 5)).toBe(1);
    await clock.advance(999);
    expect(takeN(store, 5)).toBe(0);
    await clock.advance(1); // in flight for a whole refresh interval: control counts as slow
    expect(takeN(store, 200)).toBe(100); // its share of the burst (it knows of no other sidecar)
    await control.answer();
    // The lease came (100 of the bucket's 100) and paid the 101 owed but for one: nothing to
    // spend, so over the second the key admitted its burst once, not twice.
    expect(takeN(store, 200)).toBe(0);
    await clock.advance(1000);
    // The next call asks for what is still owed and more; control grants the second's refill.
    expect(control.calls.at(-1)?.items[0]?.want).toBeGreaterThan(1);
    await control.answer();
    expect(takeN(store, 200)).toBeLessThanOrEqual(10);
  });

  it('never admits more than the limit when every lease answer is slow (3 sidecars, 10 s)', async () => {
    const { clock, control, make } = setup({ refreshMs: 1000 });
    control.auto = false;
    const stores = ['a', 'b', 'c'].map(make);
    let allowed = 0;
    for (let t = 0; t < 100; t++) {
      for (const s of stores) allowed += takeN(s, 20);
      await clock.advance(100);
      // every answer arrives 1.2 s late, past the refresh interval
      if (t % 12 === 11) while (control.pending.length > 0) await control.answer();
    }
    // burst 100 + 10 s × 10/s = 200, plus what the last slow episode admitted and no answer
    // has repaid yet (222 here); owing nothing, each slow episode refilled every share: 300
    expect(allowed).toBeLessThanOrEqual(250);
    expect(allowed).toBeGreaterThanOrEqual(180);
  });

  it('spends from its lease without calling control until the low-water mark', async () => {
    const { clock, control, make } = setup();
    const store = make('a');
    store.take('k', bucket, T0);
    await settle();
    expect(control.calls).toHaveLength(1);
    expect(takeN(store, 40)).toBe(40); // 99 leased, 59 left: above half the target
    await clock.advance(1500);
    expect(control.calls).toHaveLength(1);
  });

  it('tops up under the low-water mark, at most once per refresh interval and one call at a time', async () => {
    const { clock, control, make } = setup({ refreshMs: 1000 });
    control.auto = false;
    const store = make('a');
    store.take('k', bucket, T0);
    await settle();
    await control.answer(); // 100 granted, 99 after the debt
    expect(takeN(store, 60)).toBe(60); // 39 left: under the low-water mark (50)
    // the first call went out at T0: the top-up waits for the refresh interval
    expect(control.calls).toHaveLength(1);
    await clock.advance(999);
    expect(control.calls).toHaveLength(1);
    await clock.advance(1);
    expect(control.calls).toHaveLength(2);
    expect(control.calls[1]?.items[0]).toMatchObject({ key: 'k', return: 0 });
    expect(control.calls[1]?.items[0]?.want).toBeGreaterThan(0);
    // while that call is unanswered, spending on and running dry sends nothing more
    expect(takeN(store, 50)).toBe(39);
    expect(control.calls).toHaveLength(2);
    await control.answer(); // the bucket refilled 10/s for the 1 s since: 10 tokens
    expect(takeN(store, 20)).toBe(10);
  });

  it('never admits more than the bucket grants plus the first debts, however many sidecars share it', async () => {
    const { clock, make } = setup();
    const stores = ['a', 'b', 'c'].map(make);
    let allowed = 0;
    // 3 sidecars × 200 requests/s for 10 s against 100 per 10 s, burst 100
    for (let ms = 0; ms < 10_000; ms += 5) {
      for (const s of stores) if (s.take('k', bucket, clock.now()).allowed) allowed++;
      await clock.advance(5);
    }
    const configured = bucket.capacity + bucket.refillPerSecond * 10;
    expect(allowed).toBeLessThanOrEqual(configured + 3); // + one request admitted as debt per sidecar
    expect(allowed).toBeGreaterThanOrEqual(configured * 0.9);
  });

  it('shares the bucket between sidecars: each one admits some once they all ask', async () => {
    const { clock, make } = setup();
    const stores = ['a', 'b', 'c'].map(make);
    const per = [0, 0, 0];
    for (let ms = 0; ms < 10_000; ms += 5) {
      stores.forEach((s, i) => {
        if (s.take('k', bucket, clock.now()).allowed) per[i] = (per[i] ?? 0) + 1;
      });
      await clock.advance(5);
    }
    // Roughly fair, not exactly: the first to ask after a refill gets the largest part (in
    // lockstep here about 5 : 3 : 2 of the refill), and the first lease took the whole burst.
    for (const n of per) expect(n).toBeGreaterThan(10);
  });

  it('when control is down, counts locally on a share of the limit, logs once, backs off, and recovers', async () => {
    const { clock, control, logs, make } = setup({ refreshMs: 1000, backoff: { baseMs: 1000, maxMs: 4000 } });
    const stores = ['a', 'b', 'c'].map(make);
    for (const s of stores) s.take('k', bucket, T0);
    await settle();
    await clock.advance(20_000); // leases taken, then forgotten while idle: control knows 3 sidecars
    control.auto = false;
    const a = stores[0] as (typeof stores)[number];
    a.take('k', bucket, clock.now()); // a new key again: admitted, asked for
    await settle();
    await control.fail();
    expect(a.status()).toMatchObject({ mode: 'local' });
    // a third of the burst (33.3) locally; nothing is owed for it
    expect(takeN(a, 100, 'k', clock.now())).toBe(33);
    const warnings = logs.filter((l) => l.level === 'warn');
    expect(warnings).toHaveLength(1);
    expect(String(warnings[0]?.msg)).toMatch(/counting locally, each limit split between 3 sidecar/);
    // backing off: no second call sooner than the refresh interval
    const calls = control.calls.length;
    await clock.advance(999);
    expect(control.calls.length).toBe(calls);
    await clock.advance(4001);
    expect(control.calls.length).toBe(calls + 1);
    await settle();
    await control.fail();
    expect(logs.filter((l) => l.level === 'warn')).toHaveLength(1); // logged once per outage
    control.auto = true;
    a.take('k', bucket, clock.now());
    await clock.advance(5000);
    expect(a.status()).toMatchObject({ mode: 'leased', lastError: null });
    expect(logs.some((l) => l.level === 'info' && /reachable again/.test(String(l.msg)))).toBe(true);
  });

  it('gives an idle key its unspent tokens back and forgets it', async () => {
    const { clock, control, make } = setup({ idleMs: 5000 });
    const store = make('a');
    store.take('k', bucket, T0);
    await settle();
    expect(takeN(store, 9)).toBe(9); // 90 leased tokens left unspent
    await clock.advance(6000);
    // first the surplus over its demand, then, idle, the rest
    const back = control.calls.flatMap((c) => c.items).filter((i) => i.return > 0);
    expect(back.reduce((n, i) => n + i.return, 0)).toBe(90);
    expect(back.at(-1)).toMatchObject({ key: 'k', want: 0 });
    expect(store.status().keys).toBe(0);
    expect(control.book.lease('b', [{ key: 'k', bucket, want: 0, returned: 0 }], clock.now())[0]?.remaining).toBe(100);
  });

  it('hands unspent tokens back when it closes, and stops its timers', async () => {
    const { clock, control, make } = setup();
    const store = make('a');
    store.take('k', bucket, T0);
    await settle();
    await store.close();
    const last = control.calls.at(-1);
    expect(last).toMatchObject({ final: true, items: [{ key: 'k', want: 0, return: 99 }] });
    const calls = control.calls.length;
    await clock.advance(60_000);
    expect(control.calls).toHaveLength(calls);
  });

  it('sends a long key as a digest, and refuses a bad bucket as the memory store does', async () => {
    const { control, make } = setup();
    const store = make('a');
    store.take(`policy:limit:header=x:${'v'.repeat(500)}`, bucket, T0);
    await settle();
    expect(control.calls[0]?.items[0]?.key).toMatch(/^sha256:[A-Za-z0-9_-]{43}$/);
    expect(() => store.take('k', { capacity: 0, refillPerSecond: 1 }, T0)).toThrow(RangeError);
  });
});
