import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CompiledLimit } from '../policy/rate-limit/compile.ts';
import type { CounterStore } from './counter-store.ts';
import { MemoryCounterStore } from './memory-counter-store.ts';
import { checkRateLimits, counterKey, limitBucket, limitKey } from './rate-limit.ts';
import type { LimitContext } from './rate-limit.ts';

const limit = (over: Partial<CompiledLimit> = {}): CompiledLimit => ({
  name: 'per-ip',
  key: 'client-ip',
  requests: 10,
  periodMs: 60_000,
  burst: 10,
  scope: 'local',
  ...over,
});

const ctx = (over: Partial<Omit<LimitContext, 'headers'>> & { headers?: Record<string, string> } = {}): LimitContext => ({
  clientIp: '203.0.113.7',
  apiKey: null,
  principal: null,
  requestPrincipal: null,
  claims: null,
  ...over,
  headers: new Headers(over.headers ?? {}),
});

const stores = () => ({ local: new MemoryCounterStore(), global: new MemoryCounterStore() });

describe('limitKey', () => {
  const rows: { name: string; limit: CompiledLimit; ctx: LimitContext; key: string | undefined }[] = [
    { name: 'client-ip v4', limit: limit(), ctx: ctx(), key: '203.0.113.7' },
    { name: 'client-ip v6 counts the /64', limit: limit(), ctx: ctx({ clientIp: '2001:db8:1:2:aaaa::1' }), key: '2001:db8:1:2::/64' },
    { name: 'client-ip v6 neighbours share a key', limit: limit(), ctx: ctx({ clientIp: '2001:DB8:1:2:ffff:ffff:ffff:ffff' }), key: '2001:db8:1:2::/64' },
    { name: 'client-ip v4-mapped v6 is the v4 address', limit: limit(), ctx: ctx({ clientIp: '::ffff:203.0.113.7' }), key: '203.0.113.7' },
    { name: 'client-ip missing', limit: limit(), ctx: ctx({ clientIp: null }), key: undefined },
    { name: 'api-key', limit: limit({ key: 'api-key' }), ctx: ctx({ apiKey: 'ci-bot' }), key: 'ci-bot' },
    { name: 'api-key missing', limit: limit({ key: 'api-key' }), ctx: ctx(), key: undefined },
    { name: 'principal', limit: limit({ key: 'principal' }), ctx: ctx({ principal: 'spiffe://weft.local/ns/default/sa/web' }), key: 'spiffe://weft.local/ns/default/sa/web' },
    { name: 'request-principal', limit: limit({ key: 'request-principal' }), ctx: ctx({ requestPrincipal: 'https://idp/alice' }), key: 'https://idp/alice' },
    { name: 'request-principal empty counts as absent', limit: limit({ key: 'request-principal' }), ctx: ctx({ requestPrincipal: '' }), key: undefined },
    { name: 'header', limit: limit({ key: { header: 'x-tenant' } }), ctx: ctx({ headers: { 'X-Tenant': 'acme' } }), key: 'acme' },
    { name: 'header missing', limit: limit({ key: { header: 'x-tenant' } }), ctx: ctx(), key: undefined },
    { name: 'claim string', limit: limit({ key: { claim: 'tenant' } }), ctx: ctx({ claims: { tenant: 'acme' } }), key: 'acme' },
    { name: 'claim number', limit: limit({ key: { claim: 'plan' } }), ctx: ctx({ claims: { plan: 3 } }), key: '3' },
    { name: 'claim nested with dots', limit: limit({ key: { claim: 'org.id' } }), ctx: ctx({ claims: { org: { id: 'o-1' } } }), key: 'o-1' },
    { name: 'claim with a literal dot wins', limit: limit({ key: { claim: 'org.id' } }), ctx: ctx({ claims: { 'org.id': 'flat', org: { id: 'nested' } } }), key: 'flat' },
    { name: 'claim array as JSON', limit: limit({ key: { claim: 'groups' } }), ctx: ctx({ claims: { groups: ['a', 'b'] } }), key: '["a","b"]' },
    { name: 'claim missing', limit: limit({ key: { claim: 'tenant' } }), ctx: ctx({ claims: { other: 1 } }), key: undefined },
    { name: 'claim without claims', limit: limit({ key: { claim: 'tenant' } }), ctx: ctx(), key: undefined },
    { name: 'claim null', limit: limit({ key: { claim: 'tenant' } }), ctx: ctx({ claims: { tenant: null } }), key: undefined },
  ];
  it.each(rows)('$name', ({ limit: l, ctx: c, key }) => {
    expect(limitKey(l, c)).toBe(key);
  });
});

describe('limitBucket', () => {
  it('burst is the capacity; requests per period is the refill', () => {
    expect(limitBucket(limit({ requests: 120, periodMs: 60_000, burst: 20 }))).toEqual({ capacity: 20, refillPerSecond: 2 });
  });
});

describe('counterKey', () => {
  it('property: distinct (policy, limit, value) never share a counter', () => {
    const part = fc.string({ maxLength: 8, unit: fc.constantFrom('a', ':', '/', '%', '=', 'b') });
    fc.assert(
      fc.property(part, part, part, part, part, part, (p1, n1, v1, p2, n2, v2) => {
        const a = counterKey(p1, limit({ name: n1 }), v1);
        const b = counterKey(p2, limit({ name: n2 }), v2);
        expect(a === b).toBe(p1 === p2 && n1 === n2 && v1 === v2);
      }),
    );
  });

  it('the key kind is part of the counter', () => {
    expect(counterKey('default/rl', limit({ key: { header: 'x-a' } }), 'v')).not.toBe(counterKey('default/rl', limit({ key: { claim: 'x-a' } }), 'v'));
  });
});

describe('checkRateLimits', () => {
  const T = 1_764_000_000_000;

  it('with no applicable limit: allowed, no headers', async () => {
    expect(await checkRateLimits([], ctx(), stores(), T)).toEqual({ allowed: true, headers: {} });
    const keyless = [{ policy: 'default/rl', limit: limit({ key: 'api-key' }) }];
    expect(await checkRateLimits(keyless, ctx(), stores(), T)).toEqual({ allowed: true, headers: {} });
  });

  it('allows within the burst with RateLimit headers, then answers with retry-after', async () => {
    const s = stores();
    const limits = [{ policy: 'default/rl', limit: limit({ requests: 2, periodMs: 10_000, burst: 2 }) }];
    expect(await checkRateLimits(limits, ctx(), s, T)).toEqual({
      allowed: true,
      headers: { 'ratelimit-limit': '2', 'ratelimit-remaining': '1', 'ratelimit-reset': '5' },
    });
    expect((await checkRateLimits(limits, ctx(), s, T)).allowed).toBe(true);
    expect(await checkRateLimits(limits, ctx(), s, T)).toEqual({
      allowed: false,
      deniedBy: { policy: 'default/rl', limit: 'per-ip' },
      headers: { 'ratelimit-limit': '2', 'ratelimit-remaining': '0', 'ratelimit-reset': '10', 'retry-after': '5' },
    });
    // one token back after 5 s
    expect((await checkRateLimits(limits, ctx(), s, T + 5_000)).allowed).toBe(true);
  });

  it('counts each client separately', async () => {
    const s = stores();
    const limits = [{ policy: 'default/rl', limit: limit({ burst: 1 }) }];
    expect((await checkRateLimits(limits, ctx({ clientIp: '192.0.2.1' }), s, T)).allowed).toBe(true);
    expect((await checkRateLimits(limits, ctx({ clientIp: '192.0.2.1' }), s, T)).allowed).toBe(false);
    expect((await checkRateLimits(limits, ctx({ clientIp: '192.0.2.2' }), s, T)).allowed).toBe(true);
  });

  it('a request must pass every limit; headers show the most restrictive', async () => {
    const s = stores();
    const limits = [
      { policy: 'default/rl', limit: limit({ name: 'roomy', burst: 100, requests: 100 }) },
      { policy: 'default/rl', limit: limit({ name: 'tight', burst: 3, requests: 3 }) },
    ];
    const first = await checkRateLimits(limits, ctx(), s, T);
    expect(first.headers['ratelimit-limit']).toBe('3');
    expect(first.headers['ratelimit-remaining']).toBe('2');
    await checkRateLimits(limits, ctx(), s, T);
    await checkRateLimits(limits, ctx(), s, T);
    const denied = await checkRateLimits(limits, ctx(), s, T);
    expect(denied.allowed).toBe(false);
    expect(denied.deniedBy).toEqual({ policy: 'default/rl', limit: 'tight' });
  });

  it('when several limits deny, retry-after is the longest wait', async () => {
    const s = stores();
    const limits = [
      { policy: 'default/a', limit: limit({ name: 'fast', burst: 1, requests: 1, periodMs: 2_000 }) },
      { policy: 'default/b', limit: limit({ name: 'slow', burst: 1, requests: 1, periodMs: 60_000 }) },
    ];
    await checkRateLimits(limits, ctx(), s, T);
    const denied = await checkRateLimits(limits, ctx(), s, T);
    expect(denied.deniedBy).toEqual({ policy: 'default/b', limit: 'slow' });
    expect(denied.headers['retry-after']).toBe('60');
  });

  it('the same limit name in two policies counts separately', async () => {
    const s = stores();
    const one = [{ policy: 'default/a', limit: limit({ burst: 1 }) }];
    const two = [{ policy: 'default/b', limit: limit({ burst: 1 }) }];
    expect((await checkRateLimits(one, ctx(), s, T)).allowed).toBe(true);
    expect((await checkRateLimits(two, ctx(), s, T)).allowed).toBe(true);
    expect((await checkRateLimits(one, ctx(), s, T)).allowed).toBe(false);
  });

  it('sends each limit to the store of its scope', async () => {
    const seen: string[] = [];
    const spy = (name: string, inner: CounterStore): CounterStore => ({
      take: (key, bucket, now) => {
        seen.push(`${name} ${key}`);
        return inner.take(key, bucket, now);
      },
    });
    const limits = [
      { policy: 'default/rl', limit: limit({ name: 'here', scope: 'local' }) },
      { policy: 'default/rl', limit: limit({ name: 'everywhere', scope: 'global' }) },
    ];
    await checkRateLimits(limits, ctx(), { local: spy('local', new MemoryCounterStore()), global: spy('global', new MemoryCounterStore()) }, T);
    expect(seen.sort()).toEqual(['global default%2Frl:everywhere:client-ip:203.0.113.7', 'local default%2Frl:here:client-ip:203.0.113.7']);
  });

  it('a failing store fails open for its limit and says so', async () => {
    const broken: CounterStore = { take: () => Promise.reject(new Error('durable object unreachable')) };
    const limits = [
      { policy: 'default/rl', limit: limit({ name: 'global', scope: 'global', burst: 1 }) },
      { policy: 'default/rl', limit: limit({ name: 'local', burst: 5 }) },
    ];
    const out = await checkRateLimits(limits, ctx(), { local: new MemoryCounterStore(), global: broken }, T);
    expect(out.allowed).toBe(true);
    expect(out.headers['ratelimit-limit']).toBe('5');
    expect(out.failedOpen?.map((f) => f.limit)).toEqual(['global']);
  });

  it('property: over any burst of requests at one instant, exactly burst pass', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 0, max: 40 }), async (burst, extra) => {
        const s = stores();
        const limits = [{ policy: 'default/rl', limit: limit({ burst }) }];
        let passed = 0;
        for (let i = 0; i < burst + extra; i++) {
          const out = await checkRateLimits(limits, ctx(), s, T);
          if (out.allowed) passed++;
          else expect(Number(out.headers['retry-after'])).toBeGreaterThanOrEqual(1);
          expect(Number(out.headers['ratelimit-remaining'])).toBe(Math.max(0, burst - i - 1));
        }
        expect(passed).toBe(burst);
      }),
      { numRuns: 50 },
    );
  });
});
