// The Node sidecar as a proxy, against nginx as a reverse proxy and a naive node:http proxy,
// all measured with wrk on 127.0.0.1 in one run (issue 6):
//
//   direct            wrk → app                                       (the baseline)
//   nginx proxy       wrk → nginx (1 worker, upstream keepalive 64) → app
//   naive node proxy  wrk → node:http server + http.request (keep-alive Agent) → app: the
//                     floor a Node proxy that does nothing else reaches (NAIVE_PROXY below)
//   sidecar outbound  wrk → sidecar A outbound (Host: bench-app) → app (static endpoint): 1 hop
//   sidecar inbound   wrk (with a JWT-SVID, as a caller's sidecar sends) → sidecar B inbound
//                     → app: 1 hop
//   sidecar pair      wrk → sidecar A outbound → sidecar B inbound → app: the real east-west
//                     path (A attaches its JWT-SVID, B verifies it), 2 hops
//
// The app is an nginx `return 200` with a ~150-byte JSON body and a marker header (one
// worker): it answers in a few µs without a Node event loop of its own, so neither its
// latency nor its CPU hides the proxy's. The sidecars are separate processes running the
// shipped bundle (weft-sidecar.mjs, built at the start from the working tree by the function
// behind `npm run build:sidecar`, into the bench's temp folder), joined to the
// REAL control Worker (test/support/control-harness.ts: Miniflare in THIS process, not in the
// measured sidecars) with one join token each; a pushed policy routes the mesh service to
// the app (1 hop) or to sidecar B's registered inbound (pair). See support/sidecar-lanes.ts.
//
// Pinning (2 cores). Saturation: the proxy under test (nginx proxy, naive proxy, the sidecar,
// or both sidecars of the pair) alone on CPU 1; the app and wrk on CPU 0. Every proxy gets the
// same single core, so req/s compare proxies, and "CPU busy" shows whether the proxy was the
// bottleneck (≈100 %) or wrk/app were. Latency at one connection is measured twice:
//   split cores  the same placement: each request crosses CPUs four times (wrk → proxy → app
//                → proxy → wrk), and waking an idle vCPU costs ~40 µs here (a Firecracker VM),
//                so this counts the scheduler's cross-CPU wake-ups as proxy time;
//   one core     the proxy moved onto CPU 0 with wrk and the app (taskset -a -p) for that
//                phase: only the proxy's own work and context switches are added.
// Targets are checked on both; the one-core figure is the proxy's own cost.
//
// Per lane and round: saturation (wrk -t1 -c32, SAT_S seconds): req/s, CPU-seconds of the
// measured processes (/proc/<pid>/stat utime+stime) → CPU-ms per 1000 requests, peak RSS
// sampled every 100 ms; latency (wrk -t1 -c1, LAT_S seconds each placement): p50/p99 of wrk's
// HdrHistogram. ROUNDS interleaved rounds (a noisy neighbour hits every lane alike); every
// figure is the lane's BEST round (other load only ever slows a lane down: highest req/s,
// lowest CPU per request, lowest p50/p99). Added latency per hop = (lane − direct) / hops, p50 and
// p99 separately. RSS idle: after start-up settled, before any traffic.
//
//   npx node bench/sidecar.bench.ts          (or: npm run bench -- sidecar)
//   WEFT_BENCH_QUICK=1 … for a short smoke run (1 round, 2 s saturation)
//
// wrk and nginx are installed from the Debian packages when missing (root or sudo -n). The
// bench runs its own nginx processes (-p <tmp> -g 'daemon off;'), never the system service.
// Bounded: every phase has wrk -d and a kill; a watchdog stops everything; every process is
// stopped by PID on every exit path (error, watchdog, SIGINT/SIGTERM).
// Writes the figures to .weft/bench/sidecar.json (for the docs).

import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchLifecycle } from './support/bench-lifecycle.ts';
import { startNginxApp, startNginxProxy } from './support/nginx.ts';
import { peakRssBytes, rssBytes, sampleRss, sumCpu, sumRss } from '../test/support/process-stats.ts';
import { call } from '../test/support/dev-mesh.ts';
import { median, printTable } from './support/report.ts';
import { startSidecarLanes } from './support/sidecar-lanes.ts';
import type { Lane, SidecarLanes } from './support/sidecar-lanes.ts';
import { startProcess, stopProcess, waitForOutput } from './support/sidecar-processes.ts';
import { ensureTools, pinned, repin, runWrk, toolVersions, wrkErrors } from './support/wrk.ts';
import type { Tools, WrkResult } from './support/wrk.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const QUICK = process.env.WEFT_BENCH_QUICK === '1';
const ROUNDS = QUICK ? 1 : 3;
const SAT_S = QUICK ? 2 : 4;
const LAT_S = 2;
const WARM_S = QUICK ? 1 : 2;
const SAT_CONNS = 32;
const SETTLE_MS = 1_500;
const TWO_CORES = cpus().length >= 2;
const APP_CPU = TWO_CORES ? '0' : undefined;
const WRK_CPU = TWO_CORES ? '0' : undefined;
const PROXY_CPU = TWO_CORES ? '1' : undefined;

const TARGETS = { ratioVsNginx: 0.6, addedP50Us: 150, addedP99Us: 1000, rssIdleMB: 50, rssLoadedMB: 80 };

const BODY = JSON.stringify({ ok: true, service: 'bench-app', items: Array.from({ length: 5 }, (_, i) => ({ id: i, name: `item-${i}` })) });

// The floor: what a Node proxy pays with nothing but node:http both ways (no routing, no
// policy, no identity, no hop-by-hop cleanup).
const NAIVE_PROXY = `
import http from 'node:http';
const upstreamPort = Number(process.env.UPSTREAM_PORT);
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
const server = http.createServer((req, res) => {
  const up = http.request({ host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers: req.headers, agent }, (r) => {
    res.writeHead(r.statusCode, r.headers);
    r.pipe(res);
  });
  up.on('error', () => {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
  req.pipe(up);
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => console.log('LISTENING ' + server.address().port));
`;

interface Latency {
  p50: number;
  p99: number;
}

interface Round {
  rps: number;
  cpuMsPer1k: number;
  busy: number;
  peakRss: number;
  split: Latency;
  oneCore: Latency;
}

/** Highest RSS sample of each process over every saturation phase; RSS after settling. */
const loadedByPid = new Map<number, number>();
const idleByPid = new Map<number, number>();

const life = benchLifecycle('sidecar');
const { work, nginxes, cleanup } = life;
let sidecars: SidecarLanes | undefined;

/** One request, checked: the app's body and marker header came back through the lane. */
async function check(lane: Lane): Promise<void> {
  const res = await call(lane.url, { headers: lane.headers, agent: false });
  if (res.status !== 200 || res.body !== BODY || res.headers['x-app'] !== 'bench') {
    throw new Error(`${lane.name}: expected the app's 200 through ${lane.url}, got ${res.status} ${JSON.stringify(res.headers)}: ${res.body.slice(0, 300)}`);
  }
}

function wrk(tools: Tools, lane: Lane, connections: number, durationS: number): Promise<WrkResult> {
  return runWrk(tools, { url: lane.url, headers: lane.headers, threads: 1, connections, durationS, cpus: WRK_CPU, dir: work });
}

async function wrkChecked(tools: Tools, lane: Lane, phase: string, connections: number, durationS: number): Promise<WrkResult> {
  const r = await wrk(tools, lane, connections, durationS);
  const errs = wrkErrors(r);
  if (errs) {
    const sample = await call(lane.url, { headers: lane.headers, agent: false }).then((x) => `${x.status} ${x.body.slice(0, 300)}`, (e: unknown) => String(e));
    throw new Error(`${lane.name}, ${phase}: ${errs} out of ${r.requests} requests (one more now: ${sample}); the figures would not be the app's answers`);
  }
  return r;
}

async function measureRound(tools: Tools, lane: Lane): Promise<Round> {
  const pids = lane.pids();
  const cpu0 = sumCpu(pids);
  const t0 = performance.now();
  const rss = sampleRss(pids);
  const sat = await wrkChecked(tools, lane, 'saturation', SAT_CONNS, SAT_S);
  const sampled = rss.stop();
  const wallS = (performance.now() - t0) / 1000;
  const cpu = sumCpu(pids) - cpu0;
  for (const [pid, bytes] of sampled.byPid) loadedByPid.set(pid, Math.max(loadedByPid.get(pid) ?? 0, bytes));

  const split = await wrkChecked(tools, lane, 'latency (split cores)', 1, LAT_S);
  // The proxy joins wrk and the app on their core for the one-core phase, then goes back.
  if (lane.hops > 0) repin(tools, pids, APP_CPU);
  let one: WrkResult;
  try {
    one = await wrkChecked(tools, lane, 'latency (one core)', 1, LAT_S);
  } finally {
    if (lane.hops > 0) repin(tools, pids, PROXY_CPU);
  }
  return {
    rps: sat.rps,
    cpuMsPer1k: (cpu * 1000) / (sat.requests / 1000),
    busy: cpu / wallS,
    peakRss: sampled.sum,
    split: { p50: split.p50, p99: split.p99 },
    oneCore: { p50: one.p50, p99: one.p99 },
  };
}

try {
  const scriptStart = performance.now();
  const tools = ensureTools((l) => console.log(l));
  const versions = toolVersions(tools);
  // This process (and what it starts unpinned: the control Worker's workerd) stays off the
  // proxy's core.
  repin(tools, [process.pid], APP_CPU);

  const app = await startNginxApp(tools, work, APP_CPU, BODY);
  nginxes.push(app);
  const path = '/items/42?page=1';
  const nginxProxy = await startNginxProxy(tools, work, PROXY_CPU, app.port);
  nginxes.push(nginxProxy);
  const naive = startProcess('naive-proxy', pinned(tools, PROXY_CPU, [process.execPath, '--input-type=module', '-e', NAIVE_PROXY]), { env: { ...process.env, UPSTREAM_PORT: String(app.port) } });
  const naivePort = Number((await waitForOutput(naive, /LISTENING (\d+)/))[1]);
  // The issue's yardstick for RSS: a bare Node process doing nothing (same Node binary).
  const bareNode = startProcess('bare-node', [process.execPath, '-e', 'setInterval(() => {}, 60_000); console.log("UP")']);
  await waitForOutput(bareNode, /UP/);

  const lanes: Lane[] = [
    { key: 'direct', name: 'direct to the app', url: `http://127.0.0.1:${app.port}${path}`, headers: {}, hops: 0, pids: () => app.pids() },
    { key: 'nginx', name: 'nginx reverse proxy', url: `http://127.0.0.1:${nginxProxy.port}${path}`, headers: {}, hops: 1, pids: () => nginxProxy.pids() },
    { key: 'naive', name: 'naive node:http proxy', url: `http://127.0.0.1:${naivePort}${path}`, headers: {}, hops: 1, pids: () => [naive.pid] },
  ];
  const [direct, nginxLane, naiveLane] = lanes as [Lane, Lane, Lane];

  // The sidecars, when they run; otherwise the report says why they are missing.
  const sidecarStart = performance.now();
  sidecars = life.sidecars = await startSidecarLanes({ root: ROOT, work, appPort: app.port, path, cpus: PROXY_CPU, tools });
  const sidecarStartMs = performance.now() - sidecarStart;
  lanes.push(...sidecars.lanes);

  for (const lane of lanes) await check(lane);
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  for (const lane of lanes) lane.idleRss = sumRss(lane.pids());
  for (const p of sidecars.processes) idleByPid.set(p.pid, rssBytes(p.pid));
  const idleHeap = await Promise.all(sidecars.processes.map((p) => p.memory()));
  const bareNodeRss = rssBytes(bareNode.pid);
  await stopProcess(bareNode);
  const loadBefore = loadavg()[0] as number;

  // Warm-up (JIT, pools, connection set-up), discarded.
  for (const lane of lanes) await wrkChecked(tools, lane, 'warm-up', SAT_CONNS, WARM_S);

  const rounds = new Map<Lane, Round[]>(lanes.map((l) => [l, []]));
  for (let r = 0; r < ROUNDS; r++) for (const lane of lanes) rounds.get(lane)?.push(await measureRound(tools, lane));
  const highWater = new Map(lanes.map((l) => [l, l.pids().reduce((s, p) => s + peakRssBytes(p), 0)]));
  for (const lane of lanes) await check(lane); // still answering correctly after the load
  const loadedHeap = await Promise.all(sidecars.processes.map((p) => p.memory()));
  const loadAfter = loadavg()[0] as number;

  // Figures: the BEST round of each lane (other processes on this shared machine only ever
  // slow a lane down, so the least-disturbed round is the closest to the lane's own cost):
  // highest req/s, lowest CPU per request, lowest p50 and p99; RSS loaded is the highest sample.
  const fig = new Map(
    lanes.map((l) => {
      const rs = rounds.get(l) as Round[];
      const min = (get: (x: Round) => number) => Math.min(...rs.map(get));
      const x: Round = {
        rps: Math.max(...rs.map((x) => x.rps)),
        cpuMsPer1k: min((x) => x.cpuMsPer1k),
        busy: median(rs.map((x) => x.busy)),
        peakRss: Math.max(...rs.map((x) => x.peakRss)),
        split: { p50: min((x) => x.split.p50), p99: min((x) => x.split.p99) },
        oneCore: { p50: min((x) => x.oneCore.p50), p99: min((x) => x.oneCore.p99) },
      };
      return [l, x];
    }),
  );
  // The direct lane has no proxy to move: its "one core" and "split" phases are the same
  // measurement, so its baseline is the best of both (a disturbed baseline would make a
  // proxy's added latency look negative).
  {
    const d = fig.get(direct) as Round;
    const both = { p50: Math.min(d.oneCore.p50, d.split.p50), p99: Math.min(d.oneCore.p99, d.split.p99) };
    d.oneCore = both;
    d.split = { ...both };
  }
  const f = (l: Lane) => fig.get(l) as Round;
  const ratio = (l: Lane) => f(l).rps / f(nginxLane).rps;
  // What one full core of the proxy would sustain: wrk and the app share one core, which can
  // be the limit before nginx is (then the measured ratio flatters the slower proxy).
  const perCore = (l: Lane) => (1_000_000 * l.hops) / f(l).cpuMsPer1k;
  const coreRatio = (l: Lane) => perCore(l) / perCore(nginxLane);
  const perHop = (l: Lane, where: 'split' | 'oneCore', k: keyof Latency) => (l.hops === 0 ? NaN : (f(l)[where][k] - f(direct)[where][k]) / l.hops);
  const mb = (b: number | undefined) => (b === undefined ? '' : (b / 1048576).toFixed(1));
  const us = (n: number) => (Number.isNaN(n) ? '' : n.toFixed(0));

  console.log(`## the sidecar vs nginx vs a naive node:http proxy (Node ${process.version}; ${versions.wrk.split(' [')[0]}; ${versions.nginx}; Linux ${release()}, ${cpus().length} CPUs)`);
  if (tools.installed.length > 0) console.log(`installed in this run: ${tools.installed.join(', ')}`);
  console.log(
    TWO_CORES && tools.taskset
      ? `pinning: saturation and "split" latency with the proxy under test alone on CPU ${PROXY_CPU} (both sidecars of the pair share it), app (nginx, 1 worker) and wrk on CPU ${APP_CPU}; "one core" latency with the proxy moved onto CPU ${APP_CPU} too`
      : 'pinning: none (fewer than 2 CPUs or no taskset): every figure competes for the same CPU',
  );
  console.log(`machine load (1-min average) ${loadBefore.toFixed(2)} before the rounds, ${loadAfter.toFixed(2)} after: anything else running shares these CPUs, CPU ${PROXY_CPU ?? ''} included`);
  console.log(`sidecars: ${sidecars.description}${sidecars.lanes.length > 0 ? ` (control + sidecars up in ${(sidecarStartMs / 1000).toFixed(1)} s)` : ''}`);
  console.log(
    `${ROUNDS} interleaved round(s) after a ${WARM_S} s warm-up per lane; every figure is the lane's BEST round (highest req/s, lowest CPU per request, lowest p50 and p99; CPU busy: the median), because other load only ever slows a lane down; every round is in the JSON. ` +
      `Saturation: wrk -t1 -c${SAT_CONNS} -d${SAT_S}s. Latency: wrk -t1 -c1 -d${LAT_S}s per placement (wrk's histogram). ` +
      'RSS and CPU are those of the measured processes (direct: the app; nginx: master + worker; pair: both sidecars); RSS loaded is the highest 100 ms sample under saturation; ' +
      'CPU busy is their CPU-seconds per wall second under saturation; req/s per core per hop = 10⁶ × hops ÷ (CPU ms per 1k req): what one full core would sustain per proxy.\n',
  );
  printTable(
    ['saturation', 'hops', 'req/s', '÷ nginx', 'CPU ms/1k req', 'CPU busy', 'req/s per core per hop', '÷ nginx', 'RSS idle MB', 'RSS loaded MB'],
    lanes.map((l) => [
      l.name,
      String(l.hops),
      f(l).rps.toFixed(0),
      l === direct ? '' : ratio(l).toFixed(2),
      f(l).cpuMsPer1k.toFixed(1),
      `${(f(l).busy * 100).toFixed(0)} %`,
      l === direct ? '' : perCore(l).toFixed(0),
      l === direct ? '' : coreRatio(l).toFixed(2),
      mb(l.idleRss),
      mb(f(l).peakRss),
    ]),
  );
  printTable(
    ['latency, 1 connection (µs)', 'hops', 'p50 one core', 'p99', '+p50/hop', '+p99/hop', 'p50 split', 'p99', '+p50/hop', '+p99/hop'],
    lanes.map((l) => [
      l.name,
      String(l.hops),
      us(f(l).oneCore.p50),
      us(f(l).oneCore.p99),
      us(perHop(l, 'oneCore', 'p50')),
      us(perHop(l, 'oneCore', 'p99')),
      us(f(l).split.p50),
      us(f(l).split.p99),
      us(perHop(l, 'split', 'p50')),
      us(perHop(l, 'split', 'p99')),
    ]),
  );

  console.log(`bare Node process (node -e 'setInterval(…)', ${process.version}): RSS ${mb(bareNodeRss)} MB (the issue: about 42 MB)`);
  sidecars.processes.forEach((p, i) => {
    const show = (m: Awaited<ReturnType<typeof p.memory>>) => (m ? `V8 heap ${m.heapUsedMB.toFixed(1)} used / ${m.heapTotalMB.toFixed(1)} total, external ${m.externalMB.toFixed(1)} MB` : 'n/a');
    console.log(`${p.name}: idle ${show(idleHeap[i] ?? null)}; after the rounds ${show(loadedHeap[i] ?? null)} (its /metrics)`);
  });
  console.log(`naive node:http proxy: ${ratio(naiveLane).toFixed(2)}× nginx's req/s measured, ${coreRatio(naiveLane).toFixed(2)}× per core (the issue expects about 0.4–0.55 for such a proxy)`);
  console.log(
    `nginx adds ${us(perHop(nginxLane, 'oneCore', 'p50'))} µs p50 / ${us(perHop(nginxLane, 'oneCore', 'p99'))} µs p99 on one core, ${us(perHop(nginxLane, 'split', 'p50'))} / ${us(perHop(nginxLane, 'split', 'p99'))} µs split ` +
      '(the issue: about 60 µs / 0.3 ms; Istio documents +2.65 ms p90 for Envoy)',
  );
  const targets: { what: string; value: string; target: string; status: 'ok' | 'MISSED' | 'UNRELIABLE' }[] = [];
  const check1 = (what: string, value: number, unit: string, op: '≥' | '≤', limit: number, digits = 0) =>
    targets.push({
      what,
      value: `${value.toFixed(digits)}${unit}`,
      target: `${op} ${limit}${unit}`,
      // An added latency below zero means the baseline's best round was still disturbed.
      status: !Number.isFinite(value) || (unit === ' µs' && value < 0) ? 'UNRELIABLE' : (op === '≥' ? value >= limit : value <= limit) ? 'ok' : 'MISSED',
    });
  for (const l of sidecars.lanes) {
    if (l.hops === 1) {
      check1(`${l.name}: req/s ÷ nginx at saturation (measured)`, ratio(l), '', '≥', TARGETS.ratioVsNginx, 2);
      check1(`${l.name}: req/s ÷ nginx per core (CPU-normalized)`, coreRatio(l), '', '≥', TARGETS.ratioVsNginx, 2);
    }
    for (const where of ['oneCore', 'split'] as const) {
      const label = where === 'oneCore' ? 'one core' : 'split cores';
      check1(`${l.name}: added p50 per hop (${label})`, perHop(l, where, 'p50'), ' µs', '≤', TARGETS.addedP50Us);
      check1(`${l.name}: added p99 per hop (${label})`, perHop(l, where, 'p99'), ' µs', '≤', TARGETS.addedP99Us);
    }
  }
  for (const s of sidecars.processes) {
    check1(`${s.name}: RSS idle`, (idleByPid.get(s.pid) ?? NaN) / 1048576, ' MB', '≤', TARGETS.rssIdleMB, 1);
    check1(`${s.name}: RSS loaded (highest sample)`, (loadedByPid.get(s.pid) ?? NaN) / 1048576, ' MB', '≤', TARGETS.rssLoadedMB, 1);
  }
  if (targets.length === 0) console.log('targets: NOT CHECKED, no sidecar lane ran');
  for (const t of targets) console.log(`${t.what} = ${t.value} (target ${t.target}: ${t.status})`);
  for (const l of lanes) {
    if (l.hops > 0 && f(l).busy < 0.85) console.log(`note: ${l.name} was ${(f(l).busy * 100).toFixed(0)} % busy at saturation: wrk and the app on CPU ${APP_CPU ?? '(shared)'} (or other load) were the limit, not the proxy; its per-core figure is the fairer one`);
  }

  const out = {
    bench: 'sidecar',
    at: new Date().toISOString(),
    machine: { node: process.version, kernel: release(), cpus: cpus().length, wrk: versions.wrk, nginx: versions.nginx },
    pinning: TWO_CORES && tools.taskset ? { proxy: PROXY_CPU, app: APP_CPU, wrk: WRK_CPU, oneCoreLatency: APP_CPU } : null,
    method: { rounds: ROUNDS, aggregate: 'best round per figure (max req/s, min CPU/request, min p50/p99; busy: median; RSS loaded: max sample)', saturation: { threads: 1, connections: SAT_CONNS, seconds: SAT_S }, latency: { threads: 1, connections: 1, seconds: LAT_S }, warmupSeconds: WARM_S },
    sidecars: sidecars.description,
    loadAverage: { before: loadBefore, after: loadAfter },
    bareNodeRssMB: Number(mb(bareNodeRss)),
    sidecarMemory: sidecars.processes.map((p, i) => ({ name: p.name, idle: idleHeap[i] ?? null, afterRounds: loadedHeap[i] ?? null })),
    lanes: lanes.map((l) => ({
      key: l.key,
      name: l.name,
      hops: l.hops,
      rps: Math.round(f(l).rps),
      rpsVsNginx: l === direct ? null : Number(ratio(l).toFixed(3)),
      rpsPerCorePerHop: l === direct ? null : Math.round(perCore(l)),
      rpsPerCoreVsNginx: l === direct ? null : Number(coreRatio(l).toFixed(3)),
      latencyUs: { oneCore: f(l).oneCore, split: f(l).split },
      addedUsPerHop:
        l.hops === 0
          ? null
          : { oneCore: { p50: Math.round(perHop(l, 'oneCore', 'p50')), p99: Math.round(perHop(l, 'oneCore', 'p99')) }, split: { p50: Math.round(perHop(l, 'split', 'p50')), p99: Math.round(perHop(l, 'split', 'p99')) } },
      rssIdleMB: l.idleRss === undefined ? null : Number(mb(l.idleRss)),
      rssLoadedMB: Number(mb(f(l).peakRss)),
      rssHighWaterMB: Number(mb(highWater.get(l))),
      cpuMsPer1kReq: Number(f(l).cpuMsPer1k.toFixed(2)),
      cpuBusy: Number(f(l).busy.toFixed(2)),
      rounds: rounds.get(l),
    })),
    targets,
  };
  mkdirSync(join(ROOT, '.weft/bench'), { recursive: true });
  writeFileSync(join(ROOT, '.weft/bench/sidecar.json'), `${JSON.stringify(out, null, 2)}\n`);
  console.log('\nfigures written to .weft/bench/sidecar.json');
  console.log(`(${((performance.now() - scriptStart) / 1000).toFixed(1)} s)`);
} finally {
  await cleanup();
}
