// The control Worker's hot paths, end to end over HTTP: JWT-SVID and X.509-SVID issuance
// (join token and renewal), snapshot reads (200 and 304), against GET /healthz on the same
// Worker as the baseline (no Durable Object, no crypto), so every figure also prints as a
// ratio. The Worker runs locally in workerd via wrangler's `unstable_startWorker` (the same
// stack as `wrangler dev`: its proxy Worker in front, Durable Object and KV on local SQLite),
// with fresh secrets from generateControlSecrets() and persistence in a temp dir.
//
//   npx node bench/control.bench.ts        (or: npm run bench -- control)
//
// Bounded: each measurement stops at its request count or its time cap, whichever comes
// first; a watchdog ends the run if anything hangs. This is not a benchmark of Cloudflare's
// edge: use the ratios to compare paths and to spot regressions, not as production figures.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateControlSecrets } from '../cli/control/dev-secrets.ts';
import { policyFileTexts } from '../cli/policy-files.ts';
import { quantile, runLanes } from './support/run-lanes.ts';
import { createWorkloadCsr } from '../core/identity/csr.ts';

// No telemetry, no Request.cf download: the bench needs nothing but 127.0.0.1.
process.env.WRANGLER_SEND_METRICS = 'false';
process.env.CLOUDFLARE_CF_FETCH_ENABLED = 'false';

const { unstable_startWorker } = await import('wrangler');

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WORKLOAD = 'spiffe://weft.local/ns/default/sa/reviews';
const WATCHDOG_MS = 90_000;
const PHASE_CAP_MS = 5_000;
const WARMUP = 20;
const CONCURRENCY = 4;

interface Measured {
  name: string;
  /** Requests asked for, and done (fewer when the time cap came first). */
  count: number;
  n: number;
  concurrency: number;
  /** Per-request latencies, ms, sorted. */
  latencies: number[];
  wallMs: number;
}

/**
 * Runs `op` up to `count` times with `concurrency` in flight, or until `capMs` passes.
 * `op` must check its own response and throw on anything unexpected.
 */
async function measure(name: string, count: number, op: (i: number) => Promise<void>, concurrency = 1, capMs = PHASE_CAP_MS): Promise<Measured> {
  const run = await runLanes(count, concurrency, capMs, op);
  return { name, count, n: run.latencies.length, concurrency, latencies: run.latencies, wallMs: run.wallMs };
}

async function expectStatus(res: Response, status: number, what: string): Promise<string> {
  const text = await res.text();
  if (res.status !== status) throw new Error(`${what}: expected ${status}, got ${res.status}: ${text.slice(0, 500)}`);
  return text;
}

const persist = mkdtempSync(join(tmpdir(), 'weft-control-bench-'));
process.env.WRANGLER_LOG_PATH ??= join(persist, 'logs');
let worker: Awaited<ReturnType<typeof unstable_startWorker>> | undefined;
let disposed = false;

async function cleanup(): Promise<void> {
  if (disposed) return;
  disposed = true;
  try {
    await worker?.dispose();
  } finally {
    rmSync(persist, { recursive: true, force: true });
  }
}

const watchdog = setTimeout(() => {
  console.error(`control bench: still running after ${WATCHDOG_MS / 1000} s; stopping`);
  void cleanup().finally(() => process.exit(1));
}, WATCHDOG_MS);
watchdog.unref();

try {
  const creds = await generateControlSecrets('weft.local');
  const csr = await createWorkloadCsr({ spiffeId: WORKLOAD }); // made once, before timing; reused
  const t0 = performance.now();
  worker = await unstable_startWorker({
    config: join(ROOT, 'control/wrangler.toml'),
    bindings: Object.fromEntries(Object.entries(creds.secrets).map(([name, value]) => [name, { type: 'secret_text', value }])),
    dev: { server: { hostname: '127.0.0.1', port: 0 }, inspector: false, persist, watch: false, logLevel: 'warn' },
  });
  await worker.ready;
  const base = await worker.url;
  const startMs = performance.now() - t0;
  const url = (path: string) => new URL(path, base).href;
  const admin = { authorization: `Bearer ${creds.adminToken}` };
  const reader = { authorization: `Bearer ${creds.readToken}` };

  // Warm the isolate, the authority cache (key and CA import) and the DO before timing.
  await expectStatus(await fetch(url('/v1/bundle')), 200, 'GET /v1/bundle');

  // The baseline is measured three times (start, middle, end) and pooled, so a noisy
  // neighbour during one round moves the ratios less.
  const healthz = () => measure('GET /healthz (baseline)', 300, async () => expectStatus(await fetch(url('/healthz')), 200, 'GET /healthz').then(() => undefined));
  await healthz(); // warm-up round, discarded
  const baselineRounds: Measured[] = [await healthz()];
  const results: Measured[] = [];

  // Snapshot reads: push the shipped policies, then GET (200) and GET If-None-Match (304).
  const files = await policyFileTexts(join(ROOT, 'policies'));
  const pushed = await fetch(url('/v1/snapshot'), {
    method: 'PUT',
    headers: { ...admin, 'content-type': 'application/json' },
    body: JSON.stringify({ files, metadata: { message: 'control bench' } }),
  });
  const version = (JSON.parse(await expectStatus(pushed, 201, 'PUT /v1/snapshot')) as { version: string }).version;
  let snapshotBytes = 0;
  const getSnapshot = async () => {
    snapshotBytes = (await expectStatus(await fetch(url('/v1/snapshot'), { headers: reader }), 200, 'GET /v1/snapshot')).length;
  };
  const notModified = async () => {
    await expectStatus(await fetch(url('/v1/snapshot'), { headers: { ...reader, 'if-none-match': `"${version}"` } }), 304, 'GET /v1/snapshot If-None-Match');
  };
  await measure('warm-up', WARMUP, getSnapshot);
  results.push(await measure('GET /v1/snapshot (200)', 500, getSnapshot));
  results.push(await measure('GET /v1/snapshot (304)', 500, notModified));
  baselineRounds.push(await healthz());

  // SVIDs with a join token: each call checks the token, issues, then redeems one use.
  const joinToken = async () => {
    const res = await fetch(url('/v1/identity/join-tokens'), {
      method: 'POST',
      headers: { ...admin, 'content-type': 'application/json' },
      body: JSON.stringify({ service: 'reviews', namespace: 'default', uses: 1000, ttl: '10m' }),
    });
    return (JSON.parse(await expectStatus(res, 201, 'POST /v1/identity/join-tokens')) as { token: string }).token;
  };
  let controlToken = '';
  const svid = (token: () => string, withCsr: boolean) => async () => {
    const res = await fetch(url('/v1/identity/svid'), {
      method: 'POST',
      headers: { authorization: `Bearer ${token()}`, 'content-type': 'application/json' },
      body: JSON.stringify({ audiences: [WORKLOAD], ...(withCsr ? { csr: csr.csrPem } : {}) }),
    });
    const body = JSON.parse(await expectStatus(res, 200, 'POST /v1/identity/svid')) as { controlToken: { token: string }; x509Svid?: unknown };
    if (withCsr && !body.x509Svid) throw new Error('POST /v1/identity/svid: no x509Svid in the response');
    controlToken = body.controlToken.token;
  };
  // One token per measurement (uses: 1000 each), so no measurement can run a token dry.
  for (const [kind, withCsr, count] of [
    ['JWT-SVID', false, 400],
    ['X.509-SVID', true, 200],
  ] as const) {
    let token = await joinToken();
    await measure('warm-up', 10, svid(() => token, withCsr));
    results.push(await measure(`POST /v1/identity/svid ${kind}, join token`, count, svid(() => token, withCsr)));
    token = await joinToken();
    results.push(await measure(`POST /v1/identity/svid ${kind}, join token`, count, svid(() => token, withCsr), CONCURRENCY));
    // Renewal: the workload's control-plane JWT-SVID instead of a join token (no DO write).
    results.push(await measure(`POST /v1/identity/svid ${kind}, renewal`, count, svid(() => controlToken, withCsr)));
  }

  baselineRounds.push(await healthz());

  // Report.
  const base0: Measured = {
    name: 'GET /healthz (baseline, 3 rounds)',
    count: baselineRounds.reduce((a, r) => a + r.count, 0),
    n: baselineRounds.reduce((a, r) => a + r.n, 0),
    concurrency: 1,
    latencies: baselineRounds.flatMap((r) => r.latencies).sort((a, b) => a - b),
    wallMs: baselineRounds.reduce((a, r) => a + r.wallMs, 0),
  };
  results.unshift(base0);
  const baseMedian = quantile(base0.latencies, 0.5);
  const baseRate = (base0.n / base0.wallMs) * 1000;
  console.log(`## control Worker over HTTP (Node ${process.version}, wrangler unstable_startWorker → workerd, 127.0.0.1)`);
  console.log(`worker start (bundle + workerd) ${startMs.toFixed(0)} ms; snapshot of policies/ (${Object.keys(files).length} files) ${version.slice(0, 12)}, ${(snapshotBytes / 1024).toFixed(1)} KiB JWS`);
  const header = ['measurement', 'conc', 'n', 'median ms', 'p99 ms', 'req/s', 'median × healthz', 'req/s ÷ healthz'];
  const rows = results.map((r) => {
    const median = quantile(r.latencies, 0.5);
    const rate = (r.n / r.wallMs) * 1000;
    return [r.name, String(r.concurrency), String(r.n), median.toFixed(2), quantile(r.latencies, 0.99).toFixed(2), rate.toFixed(0), `${(median / baseMedian).toFixed(1)}×`, (rate / baseRate).toFixed(2)];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ');
  console.log(line(header));
  for (const r of rows) console.log(line(r));
  console.log(`healthz median per round (start, middle, end): ${baselineRounds.map((r) => quantile(r.latencies, 0.5).toFixed(2)).join(' / ')} ms`);
  const capped = results.filter((r) => r.n < r.count);
  if (capped.length > 0) console.log(`(stopped at the ${PHASE_CAP_MS / 1000} s cap before its count: ${capped.map((r) => r.name).join('; ')})`);
  console.log(
    'Miniflare/workerd on this machine, behind wrangler\'s local proxy Worker, with the Durable Object and KV on local SQLite: ' +
      'NOT a benchmark of Cloudflare\'s edge (other CPUs, isolate placement, DO round trips across the network). Compare ratios, not absolutes.',
  );
} finally {
  clearTimeout(watchdog);
  await cleanup();
}
