// `global` rate limits across sidecars: how close the mesh's admissions come to the configured
// count (burst + refill × elapsed) when three sidecars lease tokens from one control plane.
// Control is the real Worker in workerd (wrangler's `unstable_startWorker`, as control.bench.ts);
// each sidecar is a LeasedCounterStore in its own worker thread, leasing over HTTP with its own
// JWT-SVID through the sidecar's control link, exactly as the control client wires it. The
// inbound pipeline is not in the loop: the stores are driven directly at a fixed rate.
//
//   npm run bench -- mesh-global-limit        (or: npx node bench/mesh-global-limit.bench.ts)
//
// Bounded: each scenario runs a fixed count of takes per sidecar or stops at its time cap; a
// watchdog ends the run if anything hangs. Target: allowed ÷ configured within 10 %.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { CompiledLimit } from '../core/policy/rate-limit/compile.ts';
import { counterKey, limitBucket } from '../core/ratelimit/rate-limit.ts';
import { ControlLink } from '../sidecar/control/control-http.ts';
import { controlLeaseCall } from '../sidecar/ratelimit/lease-call.ts';
import type { LeaseFn } from '../sidecar/ratelimit/lease-call.ts';
import { createLeasedCounterStore } from '../sidecar/ratelimit/leased-counter-store.ts';

interface Scenario {
  name: string;
  /** Takes per second per sidecar, and for how long. */
  rps: number;
  seconds: number;
  limit: CompiledLimit;
}

interface SidecarJob {
  controlUrl: string;
  token: string;
  nodeId: string;
  scenario: Scenario;
  /** Epoch ms at which every sidecar starts, so they start together. */
  startAt: number;
}

interface SidecarResult {
  nodeId: string;
  takes: number;
  allowed: number;
  firstAt: number;
  lastAt: number;
  calls: number;
  failedCalls: number;
  /** Longest take, ms: proof that no take waited on control. */
  maxTakeMs: number;
  callMs: number[];
  /** Leased tokens not spent when the load stopped (handed back at close). */
  heldAtEnd: number;
  /** Denials per second of the run (index = whole seconds since the start). */
  deniedPerSecond: number[];
}

const SIDECARS = 3;
const TICK_MS = 10;

const scenarios: Scenario[] = [
  {
    name: 'over the limit: 3 × 200 req/s for 10 s, limit 100 per 10 s, burst 100',
    rps: 200,
    seconds: 10,
    limit: { name: 'per-key', key: 'api-key', requests: 100, periodMs: 10_000, burst: 100, scope: 'global' },
  },
  {
    name: 'near the limit: 3 × 5 req/s for 10 s, limit 10 per 1 s, burst 20',
    rps: 5,
    seconds: 10,
    limit: { name: 'near', key: 'api-key', requests: 10, periodMs: 1_000, burst: 20, scope: 'global' },
  },
  {
    name: 'under the limit: 3 × 2 req/s for 10 s, limit 10 per 1 s, burst 10',
    rps: 2,
    seconds: 10,
    limit: { name: 'under', key: 'api-key', requests: 10, periodMs: 1_000, burst: 10, scope: 'global' },
  },
];

/** One sidecar: its store, its control link, the fixed-rate loop. */
async function runSidecar(job: SidecarJob): Promise<SidecarResult> {
  const link = new ControlLink(job.controlUrl, 2_000);
  const callMs: number[] = [];
  let failedCalls = 0;
  const call = controlLeaseCall({ link, token: () => job.token, nodeId: job.nodeId });
  const lease: LeaseFn = async (items, options) => {
    const t0 = performance.now();
    try {
      return await call(items, options);
    } catch (e) {
      failedCalls++;
      throw e;
    } finally {
      callMs.push(performance.now() - t0);
    }
  };
  const store = createLeasedCounterStore({ lease, log: (e) => console.error(JSON.stringify({ nodeId: job.nodeId, ...e })) });
  const { limit } = job.scenario;
  const key = counterKey('default/api', limit, 'bench-key');
  const bucket = limitBucket(limit);
  const total = job.scenario.rps * job.scenario.seconds;
  const perTick = (job.scenario.rps * TICK_MS) / 1000;
  let takes = 0;
  let allowed = 0;
  let firstAt = 0;
  let lastAt = 0;
  let maxTakeMs = 0;
  const deniedPerSecond: number[] = [];
  await new Promise((r) => setTimeout(r, Math.max(0, job.startAt - Date.now())));
  const started = Date.now();
  const capAt = started + job.scenario.seconds * 1000 + 2_000;
  // Takes due by now (started + ticks × rate), so timer drift does not change the offered rate.
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const now = Date.now();
      const due = Math.min(total, Math.floor(((now - started) / 1000) * job.scenario.rps) + 1);
      while (takes < due) {
        const t0 = performance.now();
        const r = store.take(key, bucket, Date.now());
        maxTakeMs = Math.max(maxTakeMs, performance.now() - t0);
        if (takes === 0) firstAt = Date.now();
        takes++;
        if (r.allowed) allowed++;
        else {
          const second = Math.floor((Date.now() - started) / 1000);
          deniedPerSecond[second] = (deniedPerSecond[second] ?? 0) + 1;
        }
      }
      lastAt = Date.now();
      if (takes >= total || now >= capAt) {
        clearInterval(timer);
        resolve();
      }
    }, perTick >= 1 ? TICK_MS : Math.ceil(1000 / job.scenario.rps));
  });
  const heldAtEnd = store.status().held;
  await store.close();
  link.abort();
  await link.destroy();
  return { nodeId: job.nodeId, takes, allowed, firstAt, lastAt, calls: callMs.length, failedCalls, maxTakeMs, callMs, heldAtEnd, deniedPerSecond: Array.from(deniedPerSecond, (n) => n ?? 0) };
}

if (!isMainThread) {
  const result = await runSidecar(workerData as SidecarJob);
  parentPort?.postMessage(result);
} else {
  await main();
}

async function main(): Promise<void> {
  process.env.WRANGLER_SEND_METRICS = 'false';
  process.env.CLOUDFLARE_CF_FETCH_ENABLED = 'false';
  const { unstable_startWorker } = await import('wrangler');
  const { generateControlSecrets } = await import('../cli/control/dev-secrets.ts');
  const ROOT = fileURLToPath(new URL('..', import.meta.url));
  const WATCHDOG_MS = 120_000;
  const persist = mkdtempSync(join(tmpdir(), 'weft-global-limit-bench-'));
  process.env.WRANGLER_LOG_PATH ??= join(persist, 'logs');
  let worker: Awaited<ReturnType<typeof unstable_startWorker>> | undefined;
  const threads: Worker[] = [];
  const cleanup = async () => {
    await Promise.allSettled(threads.map((t) => t.terminate()));
    try {
      await worker?.dispose();
    } finally {
      rmSync(persist, { recursive: true, force: true });
    }
  };
  const watchdog = setTimeout(() => {
    console.error(`mesh-global-limit bench: still running after ${WATCHDOG_MS / 1000} s; stopping`);
    void cleanup().finally(() => process.exit(1));
  }, WATCHDOG_MS);
  watchdog.unref();

  try {
    const creds = await generateControlSecrets('weft.local');
    worker = await unstable_startWorker({
      config: join(ROOT, 'control/wrangler.toml'),
      bindings: Object.fromEntries(Object.entries(creds.secrets).map(([name, value]) => [name, { type: 'secret_text', value }])),
      dev: { server: { hostname: '127.0.0.1', port: 0 }, inspector: false, persist, watch: false, logLevel: 'warn' },
    });
    await worker.ready;
    const controlUrl = (await worker.url).href.replace(/\/$/, '');
    const admin = { authorization: `Bearer ${creds.adminToken}`, 'content-type': 'application/json' };
    const joined = await fetch(`${controlUrl}/v1/identity/join-tokens`, { method: 'POST', headers: admin, body: JSON.stringify({ service: 'reviews', namespace: 'default', uses: SIDECARS, ttl: '10m' }) });
    if (joined.status !== 201) throw new Error(`join token: ${joined.status} ${await joined.text()}`);
    const joinToken = ((await joined.json()) as { token: string }).token;
    const tokens: string[] = [];
    for (let i = 0; i < SIDECARS; i++) {
      const res = await fetch(`${controlUrl}/v1/identity/svid`, { method: 'POST', headers: { authorization: `Bearer ${joinToken}`, 'content-type': 'application/json' }, body: '{}' });
      if (res.status !== 200) throw new Error(`svid: ${res.status} ${await res.text()}`);
      tokens.push(((await res.json()) as { controlToken: { token: string } }).controlToken.token);
    }

    // A running mesh's control is warm: one lease call per sidecar (isolate, key cache, shard) before timing.
    for (const [i, token] of tokens.entries()) {
      const res = await fetch(`${controlUrl}/v1/ratelimit/leases`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ nodeId: `reviews-${i + 1}`, leases: [{ key: 'warm-up', capacity: 1, refillPerSecond: 1, want: 1, return: 0 }] }),
      });
      if (res.status !== 200) throw new Error(`warm-up lease: ${res.status} ${await res.text()}`);
    }

    console.log(`## global rate limits: ${SIDECARS} leased stores (worker threads) → control in workerd over HTTP (Node ${process.version}, 127.0.0.1)`);
    const ratios: number[] = [];
    for (const scenario of scenarios) {
      const startAt = Date.now() + 300;
      const results = await Promise.all(
        tokens.map(
          (token, i) =>
            new Promise<SidecarResult>((resolve, reject) => {
              const t = new Worker(new URL(import.meta.url), { workerData: { controlUrl, token, nodeId: `reviews-${i + 1}`, scenario, startAt } satisfies SidecarJob });
              threads.push(t);
              t.once('message', (m: SidecarResult) => resolve(m));
              t.once('error', reject);
              t.once('exit', (code) => (code === 0 ? undefined : reject(new Error(`sidecar thread ${i + 1} exited ${code}`))));
            }),
        ),
      );
      threads.length = 0;
      const allowed = results.reduce((a, r) => a + r.allowed, 0);
      const takes = results.reduce((a, r) => a + r.takes, 0);
      const elapsed = (Math.max(...results.map((r) => r.lastAt)) - Math.min(...results.map((r) => r.firstAt))) / 1000;
      const bucket = limitBucket(scenario.limit);
      const configured = bucket.capacity + bucket.refillPerSecond * elapsed;
      const expected = Math.min(takes, configured);
      const ratio = allowed / expected;
      ratios.push(ratio);
      const calls = results.flatMap((r) => r.callMs).sort((a, b) => a - b);
      const median = calls[Math.floor(calls.length / 2)] ?? NaN;
      console.log(`\n${scenario.name}`);
      console.log(`  offered ${takes} over ${elapsed.toFixed(2)} s; configured ${configured.toFixed(1)} (burst ${bucket.capacity} + ${bucket.refillPerSecond}/s × elapsed); expected min(offered, configured) ${expected.toFixed(1)}`);
      console.log(`  allowed ${allowed} → allowed ÷ expected ${ratio.toFixed(3)} (${((ratio - 1) * 100).toFixed(1)} %)`);
      const denied = results.reduce<number[]>((sum, r) => r.deniedPerSecond.map((n, i) => n + (sum[i] ?? 0)).concat(sum.slice(r.deniedPerSecond.length)), []);
      console.log(`  denied per second of the run: ${denied.join(' ')}`);
      const held = results.reduce((a, r) => a + r.heldAtEnd, 0);
      console.log(`  leased but not spent when the load stopped: ${held} (allowed + these ÷ expected ${((allowed + held) / expected).toFixed(3)})`);
      console.log(`  per sidecar allowed: ${results.map((r) => `${r.nodeId} ${r.allowed}/${r.takes}`).join(', ')}`);
      console.log(`  lease calls: ${calls.length} (${results.reduce((a, r) => a + r.failedCalls, 0)} failed), median ${median.toFixed(1)} ms, max ${(calls.at(-1) ?? NaN).toFixed(1)} ms; longest take ${Math.max(...results.map((r) => r.maxTakeMs)).toFixed(3)} ms`);
    }
    const worst = ratios.reduce((w, r) => (Math.abs(r - 1) > Math.abs(w - 1) ? r : w), 1);
    console.log(`\nworst allowed ÷ expected: ${worst.toFixed(3)} (target within 10 %: ${Math.abs(worst - 1) <= 0.1 ? 'met' : 'NOT met'})`);
    console.log('Control in local workerd on this machine, shared with the load threads (2 cores): lease round trips are local, not a real network\'s.');
  } finally {
    clearTimeout(watchdog);
    await cleanup();
  }
}
