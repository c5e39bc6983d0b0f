// JwtSvidCache: reuse for half a token's life, one shared mint per audience, background refresh
// of tokens in use (and only those), and the last valid token served while control is down.
import { describe, expect, it } from 'vitest';
import { JwtSvidCache } from '../../../sidecar/identity/jwt-svid-cache.ts';
import type { CachedToken } from '../../../sidecar/identity/tokens.ts';
import { FakeClock, logSink } from './fakes.ts';

const LIFE = 60_000;
const A = 'spiffe://weft.local/ns/default/sa/ratings';
const B = 'spiffe://weft.local/ns/default/sa/details';

function setup() {
  const clock = new FakeClock();
  const sink = logSink();
  const mints: string[] = [];
  let failWith: Error | undefined;
  let closed = false;
  const mint = (audience: string): Promise<CachedToken> => {
    mints.push(audience);
    if (failWith) return Promise.reject(failWith);
    return Promise.resolve({ token: `${audience}#${mints.length}`, issuedAt: clock.ms, expiresAt: clock.ms + LIFE });
  };
  const cache = new JwtSvidCache({ mint, log: sink.log, now: clock.now, schedule: clock.schedule, closed: () => closed });
  return {
    clock,
    sink,
    mints,
    cache,
    fail: (e: Error | undefined) => (failWith = e),
    close: () => (closed = true),
  };
}

/** Lets the cache's promise chains run (no time passes). */
const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('JwtSvidCache', () => {
  it('reuses a token while more than half its life is left, then mints a new one', async () => {
    const { clock, cache, mints } = setup();
    const first = await cache.get(A);
    clock.ms += LIFE / 2 - 1;
    expect(await cache.get(A)).toBe(first);
    clock.ms += 1;
    const second = await cache.get(A);
    expect(second).not.toBe(first);
    expect(mints).toEqual([A, A]);
  });

  it('keeps one token per audience, and concurrent askers share one mint', async () => {
    const { cache, mints } = setup();
    const tokens = await Promise.all([cache.get(A), cache.get(A), cache.get(B), cache.get(A)]);
    expect(new Set(tokens).size).toBe(2);
    expect(mints.sort()).toEqual([B, A].sort());
  });

  it('refuses an empty audience', async () => {
    await expect(setup().cache.get('')).rejects.toThrow(TypeError);
  });

  it('refreshes a token in use just after half its life, in the background', async () => {
    const { clock, cache, mints } = setup();
    const first = await cache.get(A);
    expect(clock.pending()).toEqual([clock.ms + LIFE / 2 + 50]);
    clock.advance(LIFE / 2 + 50);
    await settle();
    expect(mints).toEqual([A, A]);
    const refreshed = await cache.get(A);
    expect(refreshed).not.toBe(first);
    expect(mints).toHaveLength(2); // the asker got the refreshed one without a mint of its own
  });

  it('lets a token lapse when nobody asked for it for a whole life, and refreshes nothing once closed or stopped', async () => {
    const { clock, cache, mints, close } = setup();
    cache.put(A, { token: 'from-disk', issuedAt: clock.ms, expiresAt: clock.ms + LIFE });
    clock.advance(LIFE);
    await settle();
    expect(mints).toEqual([]);

    await cache.get(B);
    close();
    clock.advance(LIFE);
    await settle();
    expect(mints).toEqual([B]);

    const other = setup();
    await other.cache.get(A);
    other.cache.stop();
    expect(other.clock.pending()).toEqual([]);
  });

  it('serves the last token while it is valid when minting fails, and says why once it is not', async () => {
    const { clock, cache, fail, mints } = setup();
    const first = await cache.get(A);
    fail(new Error('control unreachable'));
    clock.advance(LIFE / 2 + 50); // the background refresh fails: the token stays
    await settle();
    expect(mints).toEqual([A, A]);
    expect(await cache.get(A)).toBe(first);
    expect(mints).toEqual([A, A, A]); // each ask past half life tries control again
    clock.ms += LIFE / 2 - 1_000; // within 1 s of expiry: no longer sent
    await expect(cache.get(A)).rejects.toThrow(`no JWT-SVID for audience ${A}: control unreachable`);
    await expect(cache.get(B)).rejects.toThrow(/no JWT-SVID for audience .*details: control unreachable/);
  });

  it('lists the unexpired tokens to persist', async () => {
    const { clock, cache } = setup();
    cache.put(A, { token: 'a', issuedAt: clock.ms, expiresAt: clock.ms + 10 });
    cache.put(B, { token: 'b', issuedAt: clock.ms, expiresAt: clock.ms + LIFE });
    clock.ms += 10;
    expect(cache.entries()).toEqual([[B, { token: 'b', issuedAt: clock.ms - 10, expiresAt: clock.ms - 10 + LIFE }]]);
  });
});
