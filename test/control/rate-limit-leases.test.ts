// `global` rate-limit leases in workerd: the bucket arithmetic of the lease book (injected
// clock), and POST /v1/ratelimit/leases end to end: workload-only, validated, batched across
// shards, never granting more than the bucket holds, scoped to the caller's service.
import { reset } from 'cloudflare:test';
import { beforeEach, describe, expect, it } from 'vitest';
import { LeaseBook } from '../../control/state/lease-book.ts';
import type { LeaseAsk } from '../../control/state/lease-book.ts';
import { joinAs, post, READER } from './support.ts';

beforeEach(async () => {
  await reset();
});

const T0 = 1_764_000_000_000;
const bucket = { capacity: 100, refillPerSecond: 10 };
const ask = (want: number, returned = 0, key = 'k'): LeaseAsk => ({ key, bucket, want, returned });
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('lease book', () => {
  it('grants what is asked while the bucket holds it, then only what it holds', () => {
    const book = new LeaseBook();
    expect(book.lease('a', [ask(60)], T0)).toEqual([{ key: 'k', granted: 60, remaining: 40, holders: 1 }]);
    expect(book.lease('a', [ask(60)], T0)[0]).toMatchObject({ granted: 40, remaining: 0 });
    expect(book.lease('a', [ask(60)], T0)[0]).toMatchObject({ granted: 0, remaining: 0 });
    // 10 per second: half a second later, 5 tokens
    expect(book.lease('a', [ask(60)], T0 + 500)[0]).toMatchObject({ granted: 5, remaining: 0 });
  });

  it('over any run of asks, grants at most capacity + refill × elapsed', () => {
    const book = new LeaseBook();
    let granted = 0;
    let now = T0;
    for (let i = 0; i < 200; i++) {
      now += 37;
      for (const node of ['a', 'b', 'c']) granted += (book.lease(node, [ask(7)], now)[0]?.granted ?? 0);
    }
    expect(granted).toBeLessThanOrEqual(bucket.capacity + Math.floor(((now - T0) / 1000) * bucket.refillPerSecond));
    expect(granted).toBeGreaterThan(bucket.capacity + ((now - T0) / 1000) * bucket.refillPerSecond - 5);
  });

  it('splits the bucket fairly between the nodes that share a key', () => {
    const book = new LeaseBook();
    book.lease('a', [ask(0)], T0);
    book.lease('b', [ask(0)], T0);
    const first = book.lease('c', [ask(100)], T0)[0];
    expect(first).toMatchObject({ granted: 34, holders: 3 });
    expect(book.lease('a', [ask(100)], T0)[0]?.granted).toBe(Math.ceil(66 / 3));
  });

  it('takes back returned tokens, but never more than the node was granted', () => {
    const book = new LeaseBook();
    expect(book.lease('a', [ask(30)], T0)[0]?.remaining).toBe(70);
    expect(book.lease('a', [ask(0, 10)], T0)[0]?.remaining).toBe(80);
    // a node returning more than it holds gets credit only for what it was granted
    expect(book.lease('a', [ask(0, 1000)], T0)[0]?.remaining).toBe(100);
    expect(book.lease('b', [ask(0, 50)], T0)[0]?.remaining).toBe(100);
    expect(book.lease('b', [ask(100)], T0)[0]?.granted).toBe(50); // a and b share it now
  });

  it('forgets a node that stopped asking after the holder window', () => {
    const book = new LeaseBook();
    book.lease('a', [ask(0)], T0);
    expect(book.lease('b', [ask(0)], T0)[0]?.holders).toBe(2);
    expect(book.lease('b', [ask(0)], T0 + 30_000)[0]?.holders).toBe(1);
  });

  it('keeps at most maxKeys buckets', () => {
    const book = new LeaseBook({ maxKeys: 3 });
    for (const key of ['a', 'b', 'c', 'd']) book.lease('n', [ask(1, 0, key)], T0);
    expect(book.size).toBe(3);
  });
});

interface LeaseAnswer {
  ttlMs: number;
  leases: { key: string; granted: number; remaining: number; holders: number }[];
}

const item = (key: string, want: number, extra: Record<string, unknown> = {}) => ({ key, capacity: 100, refillPerSecond: 1, want, ...extra });

async function lease(token: string, nodeId: string, leases: unknown[]): Promise<LeaseAnswer> {
  const res = await post('/v1/ratelimit/leases', { nodeId, leases }, bearer(token));
  if (res.status !== 200) throw new Error(`lease: ${res.status} ${await res.text()}`);
  return (await res.json()) as LeaseAnswer;
}

describe('POST /v1/ratelimit/leases', () => {
  it('is for workloads: no token is 401, an admin token 403', async () => {
    const none = await post('/v1/ratelimit/leases', { nodeId: 'n', leases: [item('k', 1)] }, {});
    expect(none.status).toBe(401);
    const admin = await post('/v1/ratelimit/leases', { nodeId: 'n', leases: [item('k', 1)] }, bearer(READER));
    expect(admin.status).toBe(403);
  });

  it('refuses malformed requests with a 400 that names the field', async () => {
    const { controlToken } = await joinAs('reviews');
    const cases: [unknown, RegExp][] = [
      [{ leases: [item('k', 1)] }, /nodeId/],
      [{ nodeId: 'n', leases: [] }, /leases must be an array of 1 to 256/],
      [{ nodeId: 'n', leases: Array.from({ length: 257 }, (_, i) => item(`k${i}`, 1)) }, /1 to 256/],
      [{ nodeId: 'n', leases: [item('', 1)] }, /leases\[0\]\.key/],
      [{ nodeId: 'n', leases: [item('k', 1, { capacity: 0 })] }, /leases\[0\]\.capacity/],
      [{ nodeId: 'n', leases: [item('k', 1, { refillPerSecond: 'fast' })] }, /leases\[0\]\.refillPerSecond/],
      [{ nodeId: 'n', leases: [item('k', 1.5)] }, /leases\[0\]\.want/],
      [{ nodeId: 'n', leases: [item('k', 1, { return: -1 })] }, /leases\[0\]\.return/],
      [{ nodeId: 'n', leases: [item('k', 1), item('k', 2)] }, /leases\[1\]\.key repeats/],
    ];
    for (const [body, message] of cases) {
      const res = await post('/v1/ratelimit/leases', body, bearer(controlToken.token));
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      const error = ((await res.json()) as { error: { code: string; message: string } }).error;
      expect(error.code).toBe('bad_request');
      expect(error.message).toMatch(message);
    }
  });

  it('answers a batch in order across shards, and never grants more than the bucket holds', async () => {
    const { controlToken } = await joinAs('reviews');
    const keys = Array.from({ length: 40 }, (_, i) => `default%2Fapi:per-key:api-key:key-${i}`);
    const first = await lease(controlToken.token, 'reviews-1', keys.map((k) => item(k, 70)));
    expect(first.ttlMs).toBeGreaterThan(0);
    expect(first.leases.map((l) => l.key)).toEqual(keys);
    expect(first.leases.every((l) => l.granted === 70 && l.remaining === 30 && l.holders === 1)).toBe(true);
    const second = await lease(controlToken.token, 'reviews-2', keys.map((k) => item(k, 70)));
    // 1 token per second: a slow test run may see one or two more refilled
    for (const l of second.leases) {
      expect(l.granted).toBeGreaterThanOrEqual(15); // fair share of the 30 left between 2 holders
      expect(l.granted).toBeLessThanOrEqual(17);
      expect(l.holders).toBe(2);
    }
  });

  it('takes back returned tokens', async () => {
    const { controlToken } = await joinAs('reviews');
    const taken = await lease(controlToken.token, 'reviews-1', [item('k', 100)]);
    expect(taken.leases[0]?.granted).toBe(100);
    const back = await lease(controlToken.token, 'reviews-1', [item('k', 0, { return: 60 })]);
    expect(back.leases[0]?.remaining).toBeGreaterThanOrEqual(60);
  });

  it("counts each service's keys apart: another workload cannot drain them", async () => {
    const reviews = await joinAs('reviews');
    const ratings = await joinAs('ratings');
    expect((await lease(reviews.controlToken.token, 'reviews-1', [item('shared', 100)])).leases[0]?.granted).toBe(100);
    expect((await lease(ratings.controlToken.token, 'ratings-1', [item('shared', 100)])).leases[0]?.granted).toBe(100);
  });
});
