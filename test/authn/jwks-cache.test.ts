// The JWKS cache against a real HTTP server on 127.0.0.1 that counts its hits: cached within
// ttl, refreshed in the background after it, stale keys served through an outage until the
// grace period ends, an early refresh when the issuer rotates keys, one fetch for concurrent
// callers, and bodies that are not a JWKS refused. Time is driven with the injected clock.
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import type { CryptoKey, JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CompiledJwtProvider } from '../../core/policy/authentication/compile.ts';
import { JwksCache, JwksUnavailableError } from '../../core/authn/jwks-cache.ts';
import { verifyJwt } from '../../core/authn/verify-jwt.ts';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** One server; each test gets its own path (its own handler and hit counter). */
const routes = new Map<string, { handler: Handler; hits: number }>();
let server: Server;
let base: string;

function serve(path: string, handler: Handler): { url: string; hits: () => number } {
  const route = { handler, hits: 0 };
  routes.set(path, route);
  return { url: `${base}${path}`, hits: () => route.hits };
}

function json(body: unknown): Handler {
  return (_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(body));
  };
}

function listen(s: Server): Promise<string> {
  return new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(s.address() as AddressInfo).port}`)));
}

function close(s: Server): Promise<void> {
  s.closeAllConnections();
  return new Promise((resolve) => s.close(() => resolve()));
}

interface Key {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

async function makeKey(kid: string): Promise<Key> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' } };
}

const T0 = Date.parse('2026-11-25T12:00:00Z');
const ISS = 'https://idp.example.com/';

/** A clock the test moves by hand. */
function clock(start = T0) {
  let t = start;
  return { now: () => t, set: (ms: number) => void (t = start + ms) };
}

let k1: Key;
let k2: Key;
beforeAll(async () => {
  server = createServer((req, res) => {
    const route = routes.get(req.url ?? '');
    if (!route) {
      res.statusCode = 404;
      res.end();
      return;
    }
    route.hits++;
    route.handler(req, res);
  });
  base = await listen(server);
  [k1, k2] = await Promise.all([makeKey('k1'), makeKey('k2')]);
});

afterAll(async () => {
  await close(server);
});

const kids = (set: { keys: { kid?: string }[] }) => set.keys.map((k) => k.kid);

/** A token of the issuer signed with `key`, good for an hour after T0. */
function tokenFrom(key: Key): Promise<string> {
  return new SignJWT({ iss: ISS, sub: 'u', exp: Math.floor(T0 / 1000) + 3600 }).setProtectedHeader({ alg: 'ES256', kid: key.kid }).sign(key.privateKey);
}

/** An ES256 provider whose keys are at `jwksUri`. */
function remoteProvider(jwksUri: string): CompiledJwtProvider {
  return {
    name: 'idp',
    issuer: ISS,
    jwksUri,
    jwks: null,
    audiences: [],
    algorithms: ['ES256'],
    clockSkewMs: 0,
    from: [{ header: 'authorization', prefix: 'Bearer ' }],
    forwardClaims: [],
    forwardOriginalToken: false,
  };
}

describe('JwksCache', () => {
  it('fetches once and serves from cache within ttl', async () => {
    const jwks = serve('/fresh', json({ keys: [k1.publicJwk] }));
    const c = clock();
    const cache = new JwksCache({ fetch, now: c.now, ttlMs: 60_000 });
    expect(kids(await cache.get(jwks.url))).toEqual(['k1']);
    c.set(30_000);
    expect(kids(await cache.get(jwks.url))).toEqual(['k1']);
    c.set(59_999);
    expect(kids(await cache.get(jwks.url))).toEqual(['k1']);
    expect(jwks.hits()).toBe(1);
  });

  it('after ttl serves the cached set at once and refreshes it in the background, once', async () => {
    let keys = [k1.publicJwk];
    const jwks = serve('/swr', (_req, res) => json({ keys })(_req, res));
    const c = clock();
    const cache = new JwksCache({ fetch, now: c.now, ttlMs: 60_000 });
    await cache.get(jwks.url);
    keys = [k1.publicJwk, k2.publicJwk];
    c.set(61_000);
    // Stale, served without waiting; several callers start only one refresh.
    expect(kids(await cache.get(jwks.url))).toEqual(['k1']);
    expect(kids(await cache.get(jwks.url))).toEqual(['k1']);
    await vi.waitFor(() => expect(jwks.hits()).toBe(2), { timeout: 10_000 });
    await vi.waitFor(async () => expect(kids(await cache.get(jwks.url))).toEqual(['k1', 'k2']), { timeout: 10_000 });
    expect(jwks.hits()).toBe(2);
  });

  it('concurrent first gets share one fetch', async () => {
    const jwks = serve('/concurrent', json({ keys: [k1.publicJwk] }));
    const cache = new JwksCache({ fetch, now: clock().now });
    const sets = await Promise.all(Array.from({ length: 20 }, () => cache.get(jwks.url)));
    expect(sets.every((s) => kids(s).join() === 'k1')).toBe(true);
    expect(jwks.hits()).toBe(1);
  });

  it('rides out an issuer outage on the stale set until ttl + grace, then fails; recovers when the issuer is back', async () => {
    let down = false;
    const jwks = serve('/outage', (req, res) => {
      if (down) {
        res.statusCode = 503;
        res.end('maintenance');
      } else json({ keys: [k1.publicJwk] })(req, res);
    });
    const c = clock();
    const cache = new JwksCache({ fetch, now: c.now, ttlMs: 60_000, graceMs: 600_000, minRefreshIntervalMs: 10_000 });
    await cache.get(jwks.url);
    down = true;

    c.set(61_000);
    expect(kids(await cache.get(jwks.url))).toEqual(['k1']);
    await vi.waitFor(() => expect(jwks.hits()).toBe(2), { timeout: 10_000 });
    c.set(300_000);
    expect(kids(await cache.get(jwks.url))).toEqual(['k1']);
    c.set(659_000);
    expect(kids(await cache.get(jwks.url))).toEqual(['k1']);

    c.set(661_000);
    const error = await cache.get(jwks.url).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JwksUnavailableError);
    expect((error as JwksUnavailableError).code).toBe('jwks_unavailable');
    expect((error as Error).message).toContain('HTTP 503');

    down = false;
    c.set(700_000);
    expect(kids(await cache.get(jwks.url))).toEqual(['k1']);
  });

  it('serves the stale set while a closed server refuses connections, then fails after grace', async () => {
    const own = createServer((_req, res) => json({ keys: [k1.publicJwk] })(_req, res));
    const url = `${await listen(own)}/jwks.json`;
    const c = clock();
    const cache = new JwksCache({ fetch, now: c.now, ttlMs: 1_000, graceMs: 5_000, minRefreshIntervalMs: 100 });
    await cache.get(url);
    await close(own);

    c.set(2_000);
    expect(kids(await cache.get(url))).toEqual(['k1']);
    c.set(5_000);
    expect(kids(await cache.get(url))).toEqual(['k1']);
    c.set(6_500);
    await expect(cache.get(url)).rejects.toBeInstanceOf(JwksUnavailableError);
  });

  it('throws on a first fetch that fails, and does not hammer the issuer right after', async () => {
    const jwks = serve('/broken', (_req, res) => {
      res.statusCode = 500;
      res.end();
    });
    const c = clock();
    const cache = new JwksCache({ fetch, now: c.now });
    await expect(cache.get(jwks.url)).rejects.toThrow(/HTTP 500/);
    await expect(cache.get(jwks.url)).rejects.toBeInstanceOf(JwksUnavailableError);
    expect(jwks.hits()).toBe(1);
    c.set(31_000);
    await expect(cache.get(jwks.url)).rejects.toBeInstanceOf(JwksUnavailableError);
    expect(jwks.hits()).toBe(2);
  });

  it.each([
    ['not JSON', '<html>', /not JSON/],
    ['not a JWKS', '{"issuer":"x"}', /no "keys" array/],
    ['an empty JWKS', '{"keys":[]}', /no keys/],
    ['a key without kty', '{"keys":[{"kid":"a"}]}', /no "kty"/],
    ['a private key', JSON.stringify({ keys: [{ kty: 'EC', crv: 'P-256', x: 'a', y: 'b', d: 'c' }] }), /private or symmetric/],
    ['a symmetric key', '{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}', /private or symmetric/],
  ])('refuses a body that is %s', async (_what, body, message) => {
    const jwks = serve(`/bad-${_what.replace(/\W/g, '-')}`, (_req, res) => res.end(body));
    const cache = new JwksCache({ fetch, now: clock().now });
    await expect(cache.get(jwks.url)).rejects.toThrow(message);
  });

  it('refuses a body over the size cap, declared or streamed', async () => {
    const big = JSON.stringify({ keys: [{ ...k1.publicJwk, padding: 'x'.repeat(300 * 1024) }] });
    const declared = serve('/big-declared', (_req, res) => res.end(big));
    const streamed = serve('/big-streamed', (_req, res) => {
      res.write(big.slice(0, 1000));
      res.end(big.slice(1000));
    });
    const cache = new JwksCache({ fetch, now: clock().now });
    await expect(cache.get(declared.url)).rejects.toThrow(/larger than 262144 bytes/);
    await expect(cache.get(streamed.url)).rejects.toThrow(/larger than 262144 bytes/);
  });

  it('gives up on an issuer that does not answer within the timeout', async () => {
    const jwks = serve('/hang', () => undefined);
    const cache = new JwksCache({ fetch, now: clock().now, timeoutMs: 200 });
    await expect(cache.get(jwks.url)).rejects.toThrow(/no answer within 200 ms/);
  });

  it('refreshes early for a kid it has not seen (issuer key rotation), at most once per interval', async () => {
    let keys = [k1.publicJwk];
    const jwks = serve('/rotation', (_req, res) => json({ keys })(_req, res));
    const c = clock();
    const cache = new JwksCache({ fetch, now: c.now, ttlMs: 300_000, minRefreshIntervalMs: 30_000 });
    const provider = remoteProvider(jwks.url);
    const deps = { jwks: cache, now: c.now };

    expect((await verifyJwt(await tokenFrom(k1), provider, deps)).ok).toBe(true);
    expect(jwks.hits()).toBe(1);

    // The issuer rotates to k2 and starts signing with it.
    keys = [k1.publicJwk, k2.publicJwk];
    c.set(40_000);
    expect((await verifyJwt(await tokenFrom(k2), provider, deps)).ok).toBe(true);
    expect(jwks.hits()).toBe(2);

    // Tokens naming kids the issuer never published cannot make the cache hammer it.
    const stranger = { ...(await makeKey('k-unknown')) };
    c.set(45_000);
    expect(await verifyJwt(await tokenFrom(stranger), provider, deps)).toMatchObject({ ok: false, code: 'unknown_key' });
    expect(await verifyJwt(await tokenFrom(stranger), provider, deps)).toMatchObject({ ok: false, code: 'unknown_key' });
    expect(jwks.hits()).toBe(2);
    c.set(71_000);
    expect(await verifyJwt(await tokenFrom(stranger), provider, deps)).toMatchObject({ ok: false, code: 'unknown_key' });
    expect(jwks.hits()).toBe(3);
    // Known kids never trigger a fetch within ttl.
    expect((await verifyJwt(await tokenFrom(k1), provider, deps)).ok).toBe(true);
    expect(jwks.hits()).toBe(3);
  });

  it('a remembered token stops being accepted once the issuer stops publishing its key', async () => {
    let keys = [k1.publicJwk];
    const jwks = serve('/rotate-away', (_req, res) => json({ keys })(_req, res));
    const c = clock();
    const cache = new JwksCache({ fetch, now: c.now, ttlMs: 60_000 });
    const provider = remoteProvider(jwks.url);
    const token = await tokenFrom(k1);
    const deps = { jwks: cache, now: c.now };
    expect((await verifyJwt(token, provider, deps)).ok).toBe(true);
    expect((await verifyJwt(token, provider, deps)).ok).toBe(true);

    // The issuer drops k1 (compromised, say); after ttl the cache refreshes in the background.
    keys = [k2.publicJwk];
    c.set(61_000);
    await cache.get(jwks.url);
    await vi.waitFor(async () => expect(kids(await cache.get(jwks.url))).toEqual(['k2']), { timeout: 10_000 });
    expect(await verifyJwt(token, provider, deps)).toMatchObject({ ok: false, code: 'unknown_key' });
  });
});
