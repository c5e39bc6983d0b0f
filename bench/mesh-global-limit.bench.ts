// `global` rate limits across sidecars: how close the mesh's admissions come to the configured
// count (burst + refill × elapsed) when three sidecars lease tokens from one control plane.
//
// 1. Stores: control is the real Worker in workerd (wrangler's `unstable_startWorker`, as
//    control.bench.ts); each sidecar is a LeasedCounterStore in its own worker thread, leasing
//    over HTTP with its own JWT-SVID through the sidecar's control link, exactly as the control
//    client wires it. The inbound pipeline is not in the loop: the stores are driven directly
//    at a fixed rate.
// 2. Sidecars: three real sidecar processes (the shipped bundle, built now) of one Service,
//    each beside its own app, joined to the real control (test/support/control-harness.ts, in
//    local workerd) with a pushed policy: a permissive Mesh and a RateLimit with one `global`
//    limit keyed on `x-tenant`. Plaintext requests with one tenant go straight to each
//    sidecar's inbound port at a fixed rate over keep-alive connections; core's pipeline
//    (inbound stages, rate-limit stage, the control client's leased store) answers 200 (the
//    app's) or 429.
//
//   npm run bench -- mesh-global-limit        (or: npx node bench/mesh-global-limit.bench.ts)
//   WEFT_BENCH_GLOBAL_LIMIT=stores|sidecars   runs only one part
//
// Bounded: each scenario runs a fixed count of takes or requests per sidecar or stops at its
// time cap; every request has a deadline; a watchdog ends the run if anything hangs. Target:
// allowed ÷ configured within 10 %.
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

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** What to stop on every exit path (normal end, error, watchdog): the part running now. */
let cleanup: () => Promise<void> = async () => undefined;

async function main(): Promise<void> {
  process.env.WRANGLER_SEND_METRICS = 'false';
  process.env.CLOUDFLARE_CF_FETCH_ENABLED = 'false';
  const which = process.env.WEFT_BENCH_GLOBAL_LIMIT ?? 'all';
  if (!['all', 'stores', 'sidecars'].includes(which)) throw new Error(`WEFT_BENCH_GLOBAL_LIMIT must be stores, sidecars or unset, not ${which}`);
  const WATCHDOG_MS = 240_000;
  const watchdog = setTimeout(() => {
    console.error(`mesh-global-limit bench: still running after ${WATCHDOG_MS / 1000} s; stopping`);
    void cleanup().finally(() => process.exit(1));
  }, WATCHDOG_MS);
  watchdog.unref();
  // Sidecars are child processes: signalled by PID on any exit, even one that skips cleanup.
  const { signalAllNow } = await import('./support/sidecar-processes.ts');
  process.on('exit', () => signalAllNow());
  let missed = false;
  try {
    if (which !== 'sidecars') missed = !(await runStores()) || missed;
    if (which !== 'stores') missed = !(await runSidecars()) || missed;
  } finally {
    clearTimeout(watchdog);
  }
  if (missed) console.log('\nmesh-global-limit: the 10 % target was NOT met (see above)');
}

/** Part 1: leased stores in worker threads, driven directly. True when the target is met. */
async function runStores(): Promise<boolean> {
  const { unstable_startWorker } = await import('wrangler');
  const { generateControlSecrets } = await import('../cli/control/dev-secrets.ts');
  const persist = mkdtempSync(join(tmpdir(), 'weft-global-limit-bench-'));
  process.env.WRANGLER_LOG_PATH ??= join(persist, 'logs');
  let worker: Awaited<ReturnType<typeof unstable_startWorker>> | undefined;
  const threads: Worker[] = [];
  cleanup = async () => {
    await Promise.allSettled(threads.map((t) => t.terminate()));
    try {
      await worker?.dispose();
    } finally {
      rmSync(persist, { recursive: true, force: true });
    }
  };

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
    return Math.abs(worst - 1) <= 0.1;
  } finally {
    await cleanup();
  }
}

// ---- Part 2: real sidecar processes, their inbound pipelines ------------------------------

interface InboundLoad {
  name: string;
  port: number;
  sent: number;
  ok: number;
  limited: number;
  /** Anything else: other statuses and errors, by kind. */
  other: Map<string, number>;
  firstSentAt: number;
  lastSentAt: number;
  /** Answer times, ms. */
  latencies: number[];
  /** Epoch ms of the last answer. */
  lastAnsweredAt: number;
  /** 200s and 429s per second of the run, by when the request was sent. */
  okPerSecond: number[];
  limitedPerSecond: number[];
}

const SIDECAR_SCENARIO = {
  name: 'real sidecars: 3 × 200 req/s for 10 s at the inbound ports, one tenant, limit 100 per 10 s, burst 100',
  rps: 200,
  seconds: 10,
  limit: { service: 'limited', header: 'x-tenant', requests: 100, period: '10s', burst: 100 },
  tenant: 'acme',
  /** The load's path, to tell its access-log lines from the warm-up's. */
  path: '/load',
  /** Keep-alive connections per sidecar at most (requests queue in the agent beyond that). */
  sockets: 32,
  /** Every request is abandoned after this (counted as `timeout`). */
  requestDeadlineMs: 10_000,
};

/** Open-loop, fixed-rate load at each inbound port: requests due by now are sent, never more than `rps × seconds` each, never after the cap. */
async function driveInbound(targets: { name: string; port: number }[], o: typeof SIDECAR_SCENARIO, startAt: number): Promise<InboundLoad[]> {
  const { Agent, request } = await import('node:http');
  const total = o.rps * o.seconds;
  const loads: InboundLoad[] = targets.map((t) => ({ ...t, sent: 0, ok: 0, limited: 0, other: new Map(), firstSentAt: 0, lastSentAt: 0, latencies: [], lastAnsweredAt: 0, okPerSecond: [], limitedPerSecond: [] }));
  const agents = loads.map(() => new Agent({ keepAlive: true, maxSockets: o.sockets }));
  const pending = new Set<Promise<void>>();
  const headers = { [o.limit.header]: o.tenant };
  const bump = (a: number[], i: number) => (a[i] = (a[i] ?? 0) + 1);
  await new Promise((r) => setTimeout(r, Math.max(0, startAt - Date.now())));
  const started = Date.now();
  const capAt = started + o.seconds * 1000 + 2_000;
  const fire = (l: InboundLoad, agent: InstanceType<typeof Agent>) => {
    const sentAt = Date.now();
    if (l.sent === 0) l.firstSentAt = sentAt;
    l.lastSentAt = sentAt;
    l.sent++;
    const second = Math.floor((sentAt - started) / 1000);
    const t0 = performance.now();
    const done = new Promise<void>((resolve) => {
      const settle = (kind: string) => {
        clearTimeout(deadline);
        l.latencies.push(performance.now() - t0);
        l.lastAnsweredAt = Math.max(l.lastAnsweredAt, Date.now());
        if (kind === '200') {
          l.ok++;
          bump(l.okPerSecond, second);
        } else if (kind === '429') {
          l.limited++;
          bump(l.limitedPerSecond, second);
        } else l.other.set(kind, (l.other.get(kind) ?? 0) + 1);
        resolve();
      };
      const req = request({ host: '127.0.0.1', port: l.port, path: o.path, headers, agent }, (res) => {
        res.resume();
        res.once('end', () => settle(String(res.statusCode)));
        res.once('error', (e: NodeJS.ErrnoException) => settle(`error ${e.code ?? e.message}`));
      });
      const deadline = setTimeout(() => req.destroy(Object.assign(new Error('deadline'), { code: 'timeout' })), o.requestDeadlineMs);
      req.once('error', (e: NodeJS.ErrnoException) => settle(`error ${e.code ?? e.message}`));
      req.end();
    });
    pending.add(done);
    void done.then(() => pending.delete(done));
  };
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const now = Date.now();
      const due = Math.min(total, Math.floor(((now - started) / 1000) * o.rps) + 1);
      loads.forEach((l, i) => {
        while (l.sent < due) fire(l, agents[i] as InstanceType<typeof Agent>);
      });
      if (loads.every((l) => l.sent >= total) || now >= capAt) {
        clearInterval(timer);
        resolve();
      }
    }, 5);
  });
  await Promise.all(pending);
  for (const a of agents) a.destroy();
  return loads;
}

/** What a sidecar's access log says of the load: when each request arrived (line time − latency) and what it answered. */
async function accessLogged(file: string, path: string): Promise<{ arrivals: number[]; okArrivals: number[]; ok: number; limited: number; other: number }> {
  const { readFileSync } = await import('node:fs');
  const out = { arrivals: [] as number[], okArrivals: [] as number[], ok: 0, limited: 0, other: 0 };
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.startsWith('{')) continue;
    const e = JSON.parse(line) as { time?: string; direction?: string; path?: string; status?: number; latencyMs?: number };
    if (e.direction !== 'inbound' || e.path !== path || e.time === undefined) continue;
    const at = Date.parse(e.time) - (e.latencyMs ?? 0);
    out.arrivals.push(at);
    if (e.status === 200) {
      out.ok++;
      out.okArrivals.push(at);
    }
    else if (e.status === 429) out.limited++;
    else out.other++;
  }
  return out;
}

/** CPU seconds (user + system) each of `pids` has used so far; NaN where /proc cannot say. */
async function cpuSeconds(pids: number[]): Promise<number[]> {
  const { readFileSync } = await import('node:fs');
  return pids.map((pid) => {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
    } catch {
      return NaN;
    }
  });
}

/** Child processes of this one named `name` (Miniflare's workerd), from /proc. */
async function childPids(name: string): Promise<number[]> {
  const { readdirSync, readFileSync } = await import('node:fs');
  const out: number[] = [];
  try {
    for (const task of readdirSync('/proc/self/task'))
      for (const pid of readFileSync(`/proc/self/task/${task}/children`, 'utf8').split(' ').filter(Boolean).map(Number))
        if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === name) out.push(pid);
  } catch {
    // no /proc: not reported
  }
  return out;
}

/** Part 2: three sidecar processes and the real control. True when the target is met. */
async function runSidecars(): Promise<boolean> {
  const os = await import('node:os');
  const { startLimitedMesh } = await import('./support/limited-sidecars.ts');
  const { quantile } = await import('./support/run-lanes.ts');
  const o = SIDECAR_SCENARIO;
  const work = mkdtempSync(join(tmpdir(), 'weft-global-limit-sidecars-'));
  let mesh: Awaited<ReturnType<typeof startLimitedMesh>> | undefined;
  cleanup = async () => {
    try {
      await mesh?.close();
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  };
  try {
    mesh = await startLimitedMesh({ root: ROOT, work, count: SIDECARS, limit: o.limit });
    console.log(`\n## global rate limits: ${SIDECARS} real sidecar processes, their inbound pipelines → control in local workerd (Node ${process.version}, 127.0.0.1)`);
    console.log(`  ${mesh.description}`);
    const workerd = await childPids('workerd');
    const watched = [...mesh.sidecars.map((s) => s.pid), ...workerd];
    const loadBefore = os.loadavg()[0] as number;
    const cpuBefore = await cpuSeconds(watched);
    const selfBefore = process.cpuUsage();
    const loads = await driveInbound(
      mesh.sidecars.map((s) => ({ name: s.name, port: s.ports.inbound })),
      o,
      Date.now() + 300,
    );
    const selfCpu = process.cpuUsage(selfBefore);
    const cpuAfter = await cpuSeconds(watched);
    const loadAfter = os.loadavg()[0] as number;
    const cpu = cpuAfter.map((c, i) => c - (cpuBefore[i] as number));
    // When the sidecars decided: each request's arrival in its sidecar's access log (line time −
    // latency). Under CPU contention requests can wait in the sockets for seconds, so the
    // decisions span a longer window than the sends; the bucket refills over the decisions'.
    await new Promise((r) => setTimeout(r, 500)); // the last lines are written a turn after the response
    const logged = await Promise.all(mesh.sidecars.map((s) => accessLogged(s.accessLog, o.path)));
    const periodMs = Number(/^(\d+)s$/.exec(o.limit.period)?.[1]) * 1000;
    const refill = (o.limit.requests * 1000) / periodMs;
    const allowed = loads.reduce((a, l) => a + l.ok, 0);
    const limited = loads.reduce((a, l) => a + l.limited, 0);
    const sent = loads.reduce((a, l) => a + l.sent, 0);
    const others = new Map<string, number>();
    for (const l of loads) for (const [k, n] of l.other) others.set(k, (others.get(k) ?? 0) + n);
    const sendWindow = (Math.max(...loads.map((l) => l.lastSentAt)) - Math.min(...loads.map((l) => l.firstSentAt))) / 1000;
    const arrivals = logged.flatMap((l) => l.arrivals);
    const firstArrival = arrivals.reduce((x, y) => Math.min(x, y), Infinity);
    const arrivalWindow = (arrivals.reduce((x, y) => Math.max(x, y), -Infinity) - firstArrival) / 1000;
    const configured = o.limit.burst + refill * arrivalWindow;
    const configuredSends = o.limit.burst + refill * sendWindow;
    const ratio = allowed / configured;
    const okArrivals = logged.flatMap((l) => l.okArrivals).sort((x, y) => x - y);
    const okPerArrivalSecond: number[] = [];
    for (const at of okArrivals) {
      const i = Math.floor((at - firstArrival) / 1000);
      okPerArrivalSecond[i] = (okPerArrivalSecond[i] ?? 0) + 1;
    }
    // The most the admissions ever ran ahead of the bucket: admitted by t − (burst + refill × t).
    const ahead = okArrivals.reduce((worst, at, i) => Math.max(worst, i + 1 - (o.limit.burst + (refill * (at - firstArrival)) / 1000)), -Infinity);
    const sum = (pick: (l: InboundLoad) => number[]) => loads.reduce<number[]>((acc, l) => pick(l).map((n, i) => (n ?? 0) + (acc[i] ?? 0)).concat(acc.slice(pick(l).length)), []);
    const latencies = loads.flatMap((l) => l.latencies).sort((x, y) => x - y);
    const wall = (Math.max(...loads.map((l) => l.lastAnsweredAt)) - Math.min(...loads.map((l) => l.firstSentAt))) / 1000;
    console.log(`\n${o.name}`);
    console.log(`  sent ${sent} over ${sendWindow.toFixed(2)} s; answered 200: ${allowed}, 429: ${limited}, other: ${others.size === 0 ? 0 : [...others].map(([k, n]) => `${k} × ${n}`).join(', ')} (access logs: ${logged.reduce((x, l) => x + l.ok, 0)} × 200, ${logged.reduce((x, l) => x + l.limited, 0)} × 429, ${logged.reduce((x, l) => x + l.other, 0)} other)`);
    console.log(`  requests arrived at the sidecars over ${arrivalWindow.toFixed(2)} s: configured ${configured.toFixed(1)} (burst ${o.limit.burst} + ${refill}/s × ${arrivalWindow.toFixed(2)} s)`);
    console.log(`  allowed ÷ configured ${ratio.toFixed(3)} (${((ratio - 1) * 100).toFixed(1)} %); over the send window instead (${configuredSends.toFixed(1)}): ${(allowed / configuredSends).toFixed(3)}`);
    console.log(`  allowed per second, by arrival at the sidecars: ${Array.from(okPerArrivalSecond, (n) => n ?? 0).join(' ')}; most admitted ahead of burst + refill × t at any moment: ${ahead.toFixed(1)}`);
    console.log(`  allowed per second, by send: ${Array.from(sum((l) => l.okPerSecond), (n) => n ?? 0).join(' ')}; 429 per second, by send: ${Array.from(sum((l) => l.limitedPerSecond), (n) => n ?? 0).join(' ')}`);
    console.log(`  per sidecar allowed: ${loads.map((l) => `${l.name} ${l.ok}/${l.sent}`).join(', ')}`);
    console.log(`  answer time p50 ${quantile(latencies, 0.5).toFixed(1)} ms, p99 ${quantile(latencies, 0.99).toFixed(1)} ms, max ${(latencies.at(-1) ?? NaN).toFixed(1)} ms`);
    console.log(`  CPU seconds during the load (${wall.toFixed(1)} s): ${mesh.sidecars.map((s, i) => `${s.name} ${(cpu[i] as number).toFixed(1)}`).join(', ')}, workerd ${cpu.slice(mesh.sidecars.length).reduce((x, y) => x + y, 0).toFixed(1)}, this process (load + Miniflare) ${((selfCpu.user + selfCpu.system) / 1e6).toFixed(1)}`);
    console.log(`  host load average (1 min) ${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after (${os.availableParallelism()} cores, shared with other work)`);
    for (const s of mesh.sidecars) {
      const lines = s.process.output().split('\n').filter((line) => line.includes('sidecar.ratelimit') || line.includes('WEFT_RATE_LIMIT_STORE'));
      if (lines.length > 0) console.log(`  ${s.name} rate-limit log (${lines.length}): ${lines.slice(0, 4).map((line) => line.slice(0, 300)).join(' | ')}`);
    }
    const met = Math.abs(ratio - 1) <= 0.1;
    console.log(`\nallowed ÷ configured: ${ratio.toFixed(3)} (target within 10 %: ${met ? 'met' : 'NOT met'})`);
    return met;
  } finally {
    await cleanup();
  }
}

// Last, so every declaration above is initialized before either entry runs.
if (!isMainThread) {
  const result = await runSidecar(workerData as SidecarJob);
  parentPort?.postMessage(result);
} else {
  await main();
}
