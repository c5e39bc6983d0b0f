// The whole mesh as a user runs it, end to end: `weft dev` (control and the gateway in workerd,
// the six Bookinfo instances each beside its own sidecar), then, in order, what a user does
// with it: Bookinfo through the edge, the 90/10 canary, authentication and rate limits at the
// edge, access policy in the mesh, saving policies/, `weft push --wait`, an invalid push, a
// rollback, control killed under load, a sidecar restarted with control down, and Ctrl-C.
// It runs with `--otlp` pointed at a real OTLP/HTTP collector on 127.0.0.1, so one request's
// trace through the gateway and every sidecar hop is checked there too.
// The tests share one mesh and run in this order; each says what it leaves behind.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_API_KEY, demoJwt } from '../../cli/dev/dev-token.ts';
import { weft } from '../fixtures/cli/weft.ts';
import { waitFor } from '../support/basics.ts';
import { startOtlpCollector } from '../support/otlp-collector.ts';
import type { CollectedSpan, OtlpCollector } from '../support/otlp-collector.ts';
import { alive, call, startDevMesh } from '../support/dev-mesh.ts';
import type { DevMesh, Reply } from '../support/dev-mesh.ts';

interface Page {
  service: string;
  details: { service: string };
  reviews: { service: string; version: string; ratings?: { service: string } };
}

let mesh: DevMesh;
let collector: OtlpCollector;
let restarted: ChildProcess | undefined;
const BOOKINFO_HOST = { host: 'bookinfo.example.com' };
const API_HOST = { host: 'api.example.com' };

const productpage = (headers: Record<string, string> = {}) => call(`${mesh.gateway}/productpage`, { headers: { ...BOOKINFO_HOST, ...headers } });

/** The page when every service answered it (details, reviews, and ratings for v2/v3); else throws with what came back. */
function wholePage(res: Reply): Page {
  const fail = () => new Error(`not a whole product page: ${res.status} ${res.body}`);
  if (res.status !== 200) throw fail();
  const page = JSON.parse(res.body) as Page;
  const ratingsOk = page.reviews?.version === 'v1' || page.reviews?.ratings?.service === 'ratings';
  if (page.service !== 'productpage' || page.details?.service !== 'details' || page.reviews?.service !== 'reviews' || !ratingsOk) throw fail();
  return page;
}

/** Reviews versions over `n` product pages, `concurrency` at a time. */
async function reviewVersions(n: number, concurrency = 4, headers: Record<string, string> = {}): Promise<{ versions: Record<string, number>; replies: Reply[] }> {
  const versions: Record<string, number> = {};
  const replies: Reply[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        next++;
        const res = await productpage(headers);
        replies.push(res);
        const v = wholePage(res).reviews.version;
        versions[v] = (versions[v] ?? 0) + 1;
      }
    }),
  );
  return { versions, replies };
}

/** A request to the gateway every 100 ms until stopped: an idle gateway isolate checks KV only when a request comes, as a live edge always has them. */
function trickle(): { stop: () => Promise<void> } {
  let running = true;
  const loop = (async () => {
    for (let i = 0; running && i < 1200; i++) {
      await productpage().catch(() => undefined);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

/** The spans the collector has received so far. */
async function collectedSpans(): Promise<CollectedSpan[]> {
  return ((await (await fetch(`http://127.0.0.1:${collector.port}/__spans`)).json()) as { spans: CollectedSpan[] }).spans;
}

const attribute = (span: CollectedSpan, key: string) => span.attributes.find((a) => a.key === key)?.value.stringValue;

/** A random W3C trace id. */
const newTraceId = () => randomBytes(16).toString('hex');

/**
 * jason's product page (reviews v2, which asks ratings) traced from the caller: its eight
 * spans — the gateway, productpage in and out (to details and to reviews), details in,
 * reviews in and out, ratings in — once all of them reached the collector.
 */
async function tracedPage(traceId: string, callerSpan: string): Promise<CollectedSpan[]> {
  expect(wholePage(await productpage({ 'end-user': 'jason', traceparent: `00-${traceId}-${callerSpan}-01` })).reviews.version).toBe('v2');
  // The gateway exports after each response, the sidecars about once a second.
  return waitFor(`the spans of trace ${traceId} at the collector`, async () => {
    const spans = (await collectedSpans()).filter((x) => x.traceId === traceId);
    return spans.length >= 8 ? spans : undefined;
  });
}

const control = () => ['--control', mesh.control, '--token', mesh.adminToken];
const currentVersion = async () => (JSON.parse((await weft(['history', '--json', '--limit', '1', ...control()], { cwd: mesh.dir })).stdout) as { current: string }).current;

beforeAll(async () => {
  collector = await startOtlpCollector();
  mesh = await startDevMesh({ prefix: 'weft-e2e-', args: ['--otlp', `http://127.0.0.1:${collector.port}`] });
  console.log(`weft dev: ready ${(mesh.readyMs / 1000).toFixed(1)} s after start`);
}, 180_000);

afterAll(async () => {
  if (restarted?.pid && alive(restarted.pid)) process.kill(restarted.pid, 'SIGKILL');
  await mesh?.dispose();
  await collector?.close();
}, 30_000);

describe('the mesh from weft dev', () => {
  it('prints the gateway URL, the curl commands with a dev JWT and an API key, and the status URL', () => {
    const out = mesh.output();
    expect(out).toContain(`Gateway: ${mesh.gateway}`);
    expect(out).toContain(`x-api-key: ${DEMO_API_KEY}`);
    expect(out).toMatch(/authorization: Bearer ey[\w-]+\.[\w-]+\.[\w-]+/);
    expect(out).toContain(`status: ${mesh.control}/v1/status`);
    expect(out).toContain(`traces: the gateway and every sidecar export to http://127.0.0.1:${collector.port}/v1/traces`);
  });

  it('serves productpage → details and reviews → ratings through the gateway; jason sees reviews v2', async () => {
    for (let i = 0; i < 5; i++) expect(['v1', 'v3']).toContain(wholePage(await productpage()).reviews.version);
    // The productpage sidecar (node:http) answers the gateway with Keep-Alive: timeout=5. The
    // gateway leaves connection-level headers to workerd, which writes its own: the client
    // never sees the upstream's.
    const raw = await productpage();
    expect(raw.headers['keep-alive']).toBeUndefined();
    for (let i = 0; i < 3; i++) {
      const page = wholePage(await productpage({ 'end-user': 'jason' }));
      expect(page.reviews.version).toBe('v2');
      expect(page.reviews.ratings?.service).toBe('ratings');
    }
  });

  it('traces one request through the gateway and every sidecar hop: one trace id, each span under the hop before it', async () => {
    const traceId = newTraceId();
    const callerSpan = '00f067aa0ba902b7';
    const spans = await tracedPage(traceId, callerSpan);
    const shown = () => JSON.stringify(spans.map((x) => ({ service: x.serviceName, name: x.name, to: attribute(x, 'weft.service'), spanId: x.spanId, parent: x.parentSpanId })), null, 1);
    expect(spans.length, shown()).toBe(8);
    const one = (service: string, name: string, to?: string): CollectedSpan => {
      const found = spans.filter((x) => x.serviceName === service && x.name === name && (to === undefined || attribute(x, 'weft.service') === to));
      expect(found.length, `${service} ${name}${to ? ` to ${to}` : ''} in ${shown()}`).toBe(1);
      return found[0] as CollectedSpan;
    };
    const sidecar = (service: string) => `weft-sidecar/default/${service}`;
    const gateway = one('weft-gateway', 'gateway.request');
    const productpageIn = one(sidecar('productpage'), 'sidecar.inbound');
    const toReviews = one(sidecar('productpage'), 'sidecar.outbound', 'default/reviews');
    const toDetails = one(sidecar('productpage'), 'sidecar.outbound', 'default/details');
    const detailsIn = one(sidecar('details'), 'sidecar.inbound');
    const reviewsIn = one(sidecar('reviews'), 'sidecar.inbound');
    const toRatings = one(sidecar('reviews'), 'sidecar.outbound', 'default/ratings');
    const ratingsIn = one(sidecar('ratings'), 'sidecar.inbound');
    // Each hop's span is the child of the one before it: the caller → gateway → productpage's
    // sidecar (in, then out to each service) → that service's sidecar → …
    const chain: [CollectedSpan, string][] = [
      [gateway, callerSpan],
      [productpageIn, gateway.spanId],
      [toReviews, productpageIn.spanId],
      [toDetails, productpageIn.spanId],
      [detailsIn, toDetails.spanId],
      [reviewsIn, toReviews.spanId],
      [toRatings, reviewsIn.spanId],
      [ratingsIn, toRatings.spanId],
    ];
    for (const [span, parent] of chain) expect(span.parentSpanId, `${span.serviceName} ${span.name}: ${shown()}`).toBe(parent);
    // SERVER where a request came in, CLIENT where it went out; what the request was.
    for (const span of [gateway, productpageIn, detailsIn, reviewsIn, ratingsIn]) expect(span.kind).toBe(2);
    for (const span of [toReviews, toDetails, toRatings]) expect(span.kind).toBe(3);
    expect(gateway.attributes).toContainEqual({ key: 'http.response.status_code', value: { intValue: 200 } });
    expect(attribute(gateway, 'url.path')).toBe('/productpage');
    expect(attribute(toRatings, 'url.path')).toBe('/ratings/0');
    expect(attribute(ratingsIn, 'weft.peer')).toBe('spiffe://weft.local/ns/default/sa/reviews');
  });

  it('records nothing for a request whose traceparent says unsampled', async () => {
    const unsampled = newTraceId();
    expect(wholePage(await productpage({ 'end-user': 'jason', traceparent: `00-${unsampled}-00f067aa0ba902b7-00` })).reviews.version).toBe('v2');
    // A sampled request after it: once its spans are in, every sidecar has exported what it
    // recorded before it (each exports in order), and the gateway exports per request.
    await tracedPage(newTraceId(), '00f067aa0ba902b7');
    expect((await collectedSpans()).filter((x) => x.traceId === unsampled)).toEqual([]);
  });

  it('splits reviews 90/10 between v1 and v3 within tolerance', async () => {
    const { versions } = await reviewVersions(200);
    // Binomial(200, 0.1): 20 expected; outside 5..40 once in about 18 000 runs.
    expect(Object.keys(versions).sort()).toEqual(['v1', 'v3']);
    expect(versions.v3).toBeGreaterThanOrEqual(5);
    expect(versions.v3).toBeLessThanOrEqual(40);
  });

  it('authenticates at the edge: no credentials 401, the dev JWT and the API key 200', async () => {
    const none = await call(`${mesh.gateway}/v1/users/42`, { headers: API_HOST });
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Bearer /);
    expect(JSON.parse(none.body)).toMatchObject({ error: { code: expect.any(String) } });

    const jwt = await call(`${mesh.gateway}/v1/users/42`, { headers: { ...API_HOST, authorization: `Bearer ${await demoJwt('ana', 'free')}` } });
    expect(jwt.status, jwt.body).toBe(200);
    expect(JSON.parse(jwt.body)).toMatchObject({ service: 'api', user: 'ana', plan: 'free' });

    const key = await call(`${mesh.gateway}/v1/users/42`, { headers: { ...API_HOST, 'x-api-key': DEMO_API_KEY } });
    expect(key.status, key.body).toBe(200);
    expect(JSON.parse(key.body)).toMatchObject({ service: 'api', route: 'users' });
  });

  it('redirects on the port clients reach the gateway on (its listener), whatever port the Host names', async () => {
    const port = new URL(mesh.gateway).port;
    for (const host of ['api.example.com', 'api.example.com:9999']) {
      const res = await call(`${mesh.gateway}/api/v1/users?page=2`, { headers: { host, 'x-api-key': DEMO_API_KEY } });
      expect(res.status, res.body).toBe(308);
      expect(res.headers.location).toBe(`http://api.example.com:${port}/v1?page=2`);
    }
  });

  it('rate limits at the edge: 429 with Retry-After and RateLimit headers, then lets requests through again', async () => {
    // 60 at once with one API key: over both the per-key burst (50) and the per-IP burst (40).
    // Should a starved machine spread them over more than the buckets refill (1 s), another
    // wave follows, at most 4 in all.
    const replies: Reply[] = [];
    for (let wave = 0; wave < 4 && !replies.some((r) => r.status === 429); wave++)
      replies.push(...(await Promise.all(Array.from({ length: 60 }, () => call(`${mesh.gateway}/v1/users/7`, { headers: { ...API_HOST, 'x-api-key': DEMO_API_KEY } })))));
    const limited = replies.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(replies.filter((r) => r.status !== 429).every((r) => r.status === 200)).toBe(true);
    const first = limited[0] as Reply;
    const retryAfter = Number(first.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(first.headers['ratelimit-limit']).toMatch(/^\d+$/);
    expect(first.headers['ratelimit-remaining']).toBe('0');
    expect(first.headers['ratelimit-reset']).toMatch(/^\d+$/);
    await new Promise((r) => setTimeout(r, retryAfter * 1000 + 200));
    const again = await call(`${mesh.gateway}/v1/users/7`, { headers: { ...API_HOST, 'x-api-key': DEMO_API_KEY } });
    expect(again.status, again.body).toBe(200);
  });

  it('enforces access policy in the mesh: details may not call reviews (403), productpage may', async () => {
    const asDetails = await call('http://reviews/reviews/1', { proxy: mesh.ports('details-v1').outbound });
    expect(asDetails.status, asDetails.body).toBe(403);
    expect(JSON.parse(asDetails.body)).toMatchObject({ error: { code: expect.stringMatching(/denied|forbidden/) } });
    const asProductpage = await call('http://reviews/reviews/1', { proxy: mesh.ports('productpage-v1').outbound });
    expect(asProductpage.status, asProductpage.body).toBe(200);
    expect(JSON.parse(asProductpage.body)).toMatchObject({ service: 'reviews' });
  });

  it('on a save in policies/: a bad file prints its errors and pushes nothing; a good one is pushed and every node applies it', async () => {
    const file = join(mesh.dir, 'policies/bookinfo/routes.yaml');
    const good = await readFile(file, 'utf8');
    const before = mesh.output().length;
    const version = await currentVersion();
    await writeFile(file, good.replace('timeout: 1s', 'timeout: soon'));
    await waitFor('the validation errors', () => mesh.output().slice(before).includes('nothing was pushed'), 30_000);
    expect(mesh.output().slice(before)).toMatch(/routes\.yaml:\d+:\d+/);
    expect(await currentVersion()).toBe(version);

    const fixed = mesh.output().length;
    await writeFile(file, good.replace('timeout: 1s', 'timeout: 2s'));
    await waitFor('the push and its convergence', () => /converged: \d+ of \d+ live nodes/.test(mesh.output().slice(fixed)), 60_000);
    const pushed = mesh.output().slice(fixed);
    expect(pushed).toContain('~ Route default/details');
    expect(pushed).toMatch(/✓ gateway-\S+\s+gateway/);
    for (const id of ['productpage-v1', 'details-v1', 'ratings-v1', 'reviews-v1', 'reviews-v2', 'reviews-v3']) expect(pushed).toMatch(new RegExp(`✓ ${id}\\s+sidecar`));
  }, 90_000);

  let before: string;
  let release: string;

  it('weft push --wait: every node reports the new version, and the gateway and the sidecars enforce it', async () => {
    // Release 2: everybody on reviews v3 (the sidecars' routing), and a response header at the edge (the gateway's).
    const next = join(mesh.dir, 'release-2');
    await cp(join(mesh.dir, 'policies'), next, { recursive: true });
    const routes = join(next, 'bookinfo/routes.yaml');
    const text = await readFile(routes, 'utf8');
    const changed = text
      .replace('        - { service: reviews, subset: v1, weight: 90 }\n        - { service: reviews, subset: v3, weight: 10 }\n', '        - { service: reviews, subset: v3 }\n')
      .replace('      backends:\n        - service: productpage\n    - name: login', '      backends:\n        - service: productpage\n      responseHeaders:\n        set: { x-bookinfo-release: "2" }\n    - name: login');
    expect(changed).not.toBe(text);
    await writeFile(routes, changed);
    before = await currentVersion();

    const traffic = trickle();
    const r = await weft(['push', next, '--wait', '--timeout', '60s', '-m', 'release 2: reviews v3 for everybody', ...control()], { cwd: mesh.dir }).finally(() => traffic.stop());
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('~ rule default: weights: default/reviews/v1 90% → 0%, default/reviews/v3 10% → 100%');
    expect(r.stdout).toContain('~ rule pages: responseHeaders.set.x-bookinfo-release: (none) → 2');
    for (const id of ['productpage-v1', 'details-v1', 'ratings-v1', 'reviews-v1', 'reviews-v2', 'reviews-v3']) expect(r.stdout).toMatch(new RegExp(`^ {2}${id} {2}sidecar {2}default/\\w+ {2}applied after \\d+\\.\\ds$`, 'm'));
    expect(r.stdout).toMatch(/^ {2}gateway-\S+ {2}gateway {2}\S+ {2}applied after \d+\.\ds$/m);
    expect(r.stdout).toMatch(/converged: 7 of 7 live nodes applied/);
    release = await currentVersion();
    expect(release).not.toBe(before);

    const { versions, replies } = await reviewVersions(30);
    expect(versions).toEqual({ v3: 30 });
    expect(replies.every((res) => res.headers['x-bookinfo-release'] === '2')).toBe(true);
  }, 90_000);

  it('an invalid push is refused with file:line:col, and nothing changes', async () => {
    const broken = join(mesh.dir, 'broken');
    await cp(join(mesh.dir, 'release-2'), broken, { recursive: true });
    const routes = join(broken, 'bookinfo/routes.yaml');
    await writeFile(routes, (await readFile(routes, 'utf8')).replace('- { service: reviews, subset: v3 }', '- { service: reviews, subset: v3, weight: lots }'));
    const r = await weft(['push', broken, '--wait', ...control()], { cwd: mesh.dir });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/routes\.yaml:\d+:\d+/);
    expect(r.stderr).toContain('nothing was pushed');
    expect(await currentVersion()).toBe(release);
    const { versions, replies } = await reviewVersions(10);
    expect(versions).toEqual({ v3: 10 });
    expect(replies.every((res) => res.headers['x-bookinfo-release'] === '2')).toBe(true);
  }, 90_000);

  it('weft rollback --wait: every node goes back, and the old behaviour returns', async () => {
    const traffic = trickle();
    const r = await weft(['rollback', before.slice(0, 12), '--wait', '--timeout', '60s', ...control()], { cwd: mesh.dir }).finally(() => traffic.stop());
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`rolled back: current is ${before.slice(0, 12)}`);
    expect(r.stdout).toMatch(/converged: 7 of 7 live nodes applied/);
    const { versions, replies } = await reviewVersions(60);
    expect(versions.v1).toBeGreaterThan(0); // all 60 on v3 at 10% is one in 10^60
    expect(replies.some((res) => 'x-bookinfo-release' in res.headers)).toBe(false);
  }, 90_000);

  it('keeps serving with zero failed requests while control is killed under load', async () => {
    const controlTree = mesh.children().filter((c) => c.argv.some((a) => a.endsWith('control/wrangler.toml')));
    expect(controlTree.length).toBeGreaterThan(0);
    const results = { ok: 0, failed: [] as string[] };
    const deadline = Date.now() + 8000;
    let sent = 0;
    const worker = async (jason: boolean) => {
      // Bounded: 8 s or 800 requests, whichever comes first.
      while (Date.now() < deadline && sent < 800) {
        sent++;
        try {
          wholePage(await productpage(jason ? { 'end-user': 'jason' } : {}));
          results.ok++;
        } catch (e) {
          results.failed.push((e as Error).message);
        }
      }
    };
    const load = Promise.all([worker(false), worker(true), worker(false), worker(true)]);
    await new Promise((r) => setTimeout(r, 1500));
    for (const c of mesh.descendants(controlTree.map((c) => c.pid))) process.kill(c, 'SIGKILL');
    await load;
    expect(await call(`${mesh.control}/healthz`).then(() => 'answered', () => 'refused')).toBe('refused');
    console.log(`control killed under load: ${results.ok + results.failed.length} product pages, ${results.failed.length} failed`);
    expect(results.failed).toEqual([]);
    expect(results.ok).toBeGreaterThan(20);
  }, 60_000);

  it('a sidecar restarted with control down serves from its last-known-good state', async () => {
    const old = mesh.children().find((c) => c.argv.includes('sidecar') && c.argv.includes('productpage-v1'));
    expect(old).toBeDefined();
    process.kill(old!.pid, 'SIGKILL');
    await waitFor('the old sidecar to be gone', () => !alive(old!.pid), 10_000);
    const env = { ...process.env };
    delete env.WEFT_SIDECAR_JOIN_TOKEN;
    const child = spawn(old!.argv[0] as string, old!.argv.slice(1), { cwd: mesh.dir, stdio: ['ignore', 'pipe', 'pipe'], env });
    restarted = child;
    let log = '';
    child.stdout?.setEncoding('utf8').on('data', (s: string) => (log += s));
    child.stderr?.setEncoding('utf8').on('data', (s: string) => (log += s));
    const admin = `http://127.0.0.1:${mesh.ports('productpage-v1').admin}`;
    await waitFor('the restarted sidecar to be ready', async () => (await call(`${admin}/ready`).catch(() => undefined))?.status === 200 || child.exitCode !== null, 60_000);
    expect(child.exitCode, log).toBeNull();
    const config = JSON.parse((await call(`${admin}/config`)).body) as { control: { connected: boolean }; snapshot: { version: string; fromDisk: boolean } };
    expect(config.snapshot).toMatchObject({ version: before, fromDisk: true });
    expect(config.control.connected).toBe(false);
    expect(log).toContain('last known good');
    for (let i = 0; i < 5; i++) wholePage(await productpage());
    expect(wholePage(await productpage({ 'end-user': 'jason' })).reviews.version).toBe('v2');
  }, 90_000);

  it('Ctrl-C stops every process weft dev started and exits 0', async () => {
    const started = mesh.children().map((c) => c.pid);
    expect(started.length).toBeGreaterThanOrEqual(12); // gateway, 6 apps, 5 remaining sidecars, 2 api echoes (control was killed)
    expect(await mesh.interrupt()).toBe(0);
    expect(mesh.output()).toContain('stopped every process weft dev started');
    expect(started.filter(alive)).toEqual([]);
    expect(await productpage().then(() => 'answered', () => 'refused')).toBe('refused');
  }, 60_000);

  it('a second weft dev in the same folder reuses the keys and state, and works', async () => {
    if (restarted?.pid && alive(restarted.pid)) process.kill(restarted.pid, 'SIGKILL'); // the sidecar this file started itself
    await waitFor('the restarted sidecar to be gone', () => !restarted?.pid || !alive(restarted.pid), 10_000);
    const first = mesh;
    mesh = await startDevMesh({ again: first });
    expect(mesh.output()).toContain('reusing dev keys and admin token in .weft/control/');
    expect(mesh.adminToken).toBe(first.adminToken);
    // The rolled-back version is still current: the edge serves it, v1 and v3 again.
    const { versions } = await reviewVersions(20);
    expect(versions.v1).toBeGreaterThan(0);
    // A save right after the restart converges on every node of this run: nothing of the
    // previous run is left waiting in the status.
    const file = join(mesh.dir, 'policies/bookinfo/routes.yaml');
    const saved = mesh.output().length;
    await writeFile(file, (await readFile(file, 'utf8')).replace('timeout: 2s', 'timeout: 3s'));
    await waitFor('the push and its convergence', () => /converged: \d+ of \d+ live nodes|not converged/.test(mesh.output().slice(saved)), 60_000);
    expect(mesh.output().slice(saved)).toMatch(/converged: 7 of 7 live nodes applied/);
    expect(await mesh.interrupt()).toBe(0);
  }, 180_000);
});
