import { describe, expect, it } from 'vitest';
import { TokenCache } from './token-cache.ts';

describe('TokenCache', () => {
  it('reuses a token for the first half of its life, then mints a new one', async () => {
    let now = 1_000_000;
    let minted = 0;
    const cache = new TokenCache({ now: () => now });
    const mint = async () => ({ token: `t${++minted}`, issuedAt: now, expiresAt: now + 60_000 });
    expect(await cache.get('a', mint)).toBe('t1');
    now += 29_000;
    expect(await cache.get('a', mint)).toBe('t1');
    now += 2_000; // 31 s into a 60 s token: less than half left
    expect(await cache.get('a', mint)).toBe('t2');
    expect(await cache.get('b', mint)).toBe('t3');
    expect(minted).toBe(3);
  });

  it('keeps at most maxEntries, dropping the oldest', async () => {
    const cache = new TokenCache({ maxEntries: 2 });
    let minted = 0;
    const mint = async () => ({ token: `t${++minted}`, issuedAt: Date.now(), expiresAt: Date.now() + 60_000 });
    await cache.get('a', mint);
    await cache.get('b', mint);
    await cache.get('c', mint);
    expect(cache.size).toBe(2);
    expect(await cache.get('a', mint)).toBe('t4'); // 'a' was evicted, so it is minted again
    expect(await cache.get('c', mint)).toBe('t3');
  });

  it('does not cache a failed mint', async () => {
    const cache = new TokenCache();
    await expect(cache.get('a', () => Promise.reject(new Error('no key')))).rejects.toThrow('no key');
    expect(cache.size).toBe(0);
  });
});
