// gRPC unary calls and HTTP/2 requests through the sidecar, against the server directly and
// nginx, measured with h2load on 127.0.0.1 in one run (issue 17):
//
// gRPC (SayHello of test/fixtures/grpc/greeter.proto, h2load POSTing a pre-framed request):
//   direct            h2load → gRPC server                                       (the baseline)
//   nginx grpc_pass   h2load → nginx (1 worker, `listen … http2`, upstream keepalive) → server
//   naive node:http2  h2load → node:http2 server, streams piped to one node:http2 client
//                     session → server: the floor a Node HTTP/2 proxy that does nothing else
//                     reaches (NAIVE_H2_PROXY below)
//   sidecar outbound  h2load → sidecar A outbound (h2c, :authority bench-greeter: a `protocol:
//                     grpc` Service with the server as its static endpoint) → h2c → server: 1 hop
//   sidecar inbound   h2load (h2c, with a JWT-SVID, as a caller's sidecar sends in permissive
//                     mode) → sidecar B inbound → h2c → server: 1 hop
//   sidecar pair      h2load → A outbound → mutual TLS, ALPN h2 → B inbound → h2c → server: the
//                     real east-west path, 2 hops
// HTTP/2 requests (h2load GET, the issue's "HTTP/2 request rate"):
//   direct            h2load → the app (nginx `return 200`, h2c)
//   nginx             h2load → nginx (h2c in) → HTTP/1.1 keep-alive → the app
//   sidecar outbound  h2load → A outbound (h2c, :authority bench-app) → HTTP/1.1 → the app
//
// The gRPC server is the same process in every lane: C++ on gRPC's C core when it can be built
// (support/grpc-server.ts says why not Node, and falls back to grpc-js in its own process). The
// sidecars are processes running the shipped bundle, joined to the REAL control Worker, as in
// bench/sidecar.bench.ts (support/sidecar-lanes.ts).
//
// A gRPC error is an HTTP 200 too, so every phase is checked beyond h2load's status codes: the
// server's count of answered calls grew by at least the 200s h2load counted (and at most the
// calls it sent), and every answer carried a reply message (h2load's DATA bytes; a gRPC error
// has none). Before the rounds and after them, a grpc-js client (a client we did not write)
// makes a call through every gRPC lane and checks the reply (through the inbound sidecar the
// server must have seen the caller's verified identity, x-weft-peer-id), and node:http2 a GET
// through every HTTP/2 lane (the app's body).
//
// Every phase is a counted run (h2load -n, sized from the lane's last measured rate to last
// about the phase's seconds) that ends with every call answered. A timed run (-D) would end
// with calls in flight, cancelled as h2load closes its connections: the sidecar does not
// survive that today (docs/sidecar.md, Figures); cancellations are not what this measures.
//
// Pinning (2 cores), as bench/sidecar.bench.ts: the proxy under test (nginx, the naive proxy,
// the sidecar, or both sidecars of the pair) alone on CPU 1; server, app and h2load on CPU 0.
// Per lane and round: saturation (h2load -t1 -c4 -m8: 4 channels of 8 calls in flight, about
// SAT_S seconds): calls/s, CPU-seconds of the proxy processes (/proc) → CPU-ms per 1000
// calls, peak RSS sampled every 100 ms, and the most connections the proxy held to its
// upstream (from /proc); gRPC latency (h2load -c1 -m1, about LAT_S seconds, percentiles from
// its per-request log) with the proxy on its own core ("split") and moved onto CPU 0 ("one
// core": its own work without cross-CPU wake-ups). ROUNDS interleaved rounds; every figure is the lane's BEST round
// (other load only slows a lane down). Added latency per hop = (lane − direct) / hops.
//
//   npm run bench -- grpc
//   WEFT_BENCH_QUICK=1 … for a short smoke run (1 round, 2 s saturation)
//
// h2load, nginx and the C++ server's build dependencies are installed from Debian's packages
// when missing. Bounded: every phase has a kill; a watchdog stops everything; every process is
// stopped by PID on every exit path. Writes .weft/bench/grpc.json.

import { mkdirSync, writeFileSync } from 'node:fs';
import { connect as connectH2 } from 'node:http2';
import { cpus, loadavg, release } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { greeterClient, sayHello } from '../test/support/grpc-greeter.ts';
import { peakRssBytes, rssBytes, sampleRss, sumCpu, sumRss } from '../test/support/process-stats.ts';
import { startGrpcServer } from './support/grpc-server.ts';
import type { GrpcServer } from './support/grpc-server.ts';
import { ensureH2load, h2loadErrors, h2loadVersion, runH2load } from './support/h2load.ts';
import type { H2loadResult } from './support/h2load.ts';
import { benchLifecycle } from './support/bench-lifecycle.ts';
import { startNginxApp, startNginxGrpcProxy, startNginxProxy } from './support/nginx.ts';
import { median, printTable } from './support/report.ts';
import { startSidecarLanes } from './support/sidecar-lanes.ts';
import type { Lane, SidecarLanes } from './support/sidecar-lanes.ts';
import { startProcess, waitForOutput } from './support/sidecar-processes.ts';
import { sampleConnections } from './support/sockets.ts';
import type { Upstream } from './support/sockets.ts';
import { ensureTools, pinned, repin, toolVersions } from './support/wrk.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const QUICK = process.env.WEFT_BENCH_QUICK === '1';
const ROUNDS = QUICK ? 1 : 3;
const SAT_S = QUICK ? 2 : 3;
const LAT_S = QUICK ? 1 : 2;
const WARM_S = QUICK ? 1 : 2;
const SAT_CONNS = 4;
const SAT_STREAMS = 8;
const SETTLE_MS = 1_500;
const TWO_CORES = cpus().length >= 2;
const APP_CPU = TWO_CORES ? '0' : undefined;
const LOAD_CPU = TWO_CORES ? '0' : undefined;
const PROXY_CPU = TWO_CORES ? '1' : undefined;

const GRPC_PATH = '/helloworld.Greeter/SayHello';
const GRPC_HEADERS = { 'content-type': 'application/grpc', te: 'trailers' };
const CALLER = 'bench';
const HTTP_PATH = '/items/42?page=1';
const BODY = JSON.stringify({ ok: true, service: 'bench-app', items: Array.from({ length: 5 }, (_, i) => ({ id: i, name: `item-${i}` })) });

// The floor: what a Node HTTP/2 proxy pays with nothing but node:http2 both ways (one upstream
// session, no routing, policy, identity, pools or header cleanup).
const NAIVE_H2_PROXY = `
import http2 from 'node:http2';
const upstream = http2.connect('http://127.0.0.1:' + process.env.UPSTREAM_PORT);
upstream.on('error', (e) => { console.error(e); process.exit(1); });
const server = http2.createServer();
server.on('stream', (stream, headers) => {
  const out = {};
  for (const [k, v] of Object.entries(headers)) if (k !== ':authority' && k !== ':scheme') out[k] = v;
  const up = upstream.request(out);
  let trailers = {};
  up.on('response', (h) => {
    if (stream.destroyed) return up.close(http2.constants.NGHTTP2_CANCEL); // the client went away (end of a run)
    stream.respond(h, { waitForTrailers: true });
    up.pipe(stream);
  });
  up.on('trailers', (t) => (trailers = t));
  stream.on('wantTrailers', () => !stream.destroyed && stream.sendTrailers(trailers));
  up.on('error', () => stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR));
  stream.on('error', () => up.close(http2.constants.NGHTTP2_CANCEL));
  stream.pipe(up);
});
server.listen(0, '127.0.0.1', () => console.log('LISTENING ' + server.address().port));
`;

/** A gRPC message on the wire: uncompressed flag, 4-byte length, the protobuf bytes. */
function grpcFrame(message: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(message.length, 1);
  return Buffer.concat([head, message]);
}
/** HelloRequest { name: CALLER }: field 1, length-delimited. */
const REQUEST = grpcFrame(Buffer.concat([Buffer.from([0x0a, CALLER.length]), Buffer.from(CALLER)]));

type Kind = 'grpc' | 'h2';

interface Latency {
  p50: number;
  p99: number;
}

interface Round {
  rps: number;
  cpuMsPer1k: number;
  /** The gRPC server's (or the app's) CPU per 1000 calls in the same phase. */
  serverCpuMsPer1k: number;
  busy: number;
  peakRss: number;
  /** The most connections the proxy held open to each of its upstreams during saturation (see upstreams). */
  connections: number[];
  split?: Latency;
  oneCore?: Latency;
}

const loadedByPid = new Map<number, number>();
const idleByPid = new Map<number, number>();

const life = benchLifecycle('grpc');
const { work, nginxes, cleanup } = life;
let sidecars: SidecarLanes | undefined;

/** One SayHello through the lane with grpc-js: null when the server's reply came back, else what came instead. */
async function grpcAnswers(lane: Lane, s: GrpcServer): Promise<string | null> {
  const { Host: authority, ...metadata } = lane.headers;
  const client = greeterClient(Number(new URL(lane.url).port), authority);
  try {
    const r = await sayHello(client, { name: 'check' }, { metadata, deadlineMs: 5_000 });
    if (r.reply.message !== 'hello check' || r.reply.server !== s.name) return `reply ${JSON.stringify(r.reply)}`;
    // Through an inbound sidecar the server sees the caller's verified identity.
    if ((lane.key === 'sidecar-inbound' || lane.key === 'sidecar-pair') && !r.reply.seenMetadata.includes('x-weft-peer-id')) {
      return `the server saw no x-weft-peer-id (metadata ${r.reply.seenMetadata.join(', ')}): the call did not cross the inbound sidecar`;
    }
    return null;
  } finally {
    client.close();
  }
}

/** One GET over h2c (node:http2, prior knowledge): null when the app's body came back, else what came instead. */
function h2Answers(lane: Lane): Promise<string | null> {
  const u = new URL(lane.url);
  return new Promise((resolve) => {
    const session = connectH2(`http://${u.host}`);
    const done = (wrong: string | null) => {
      session.destroy();
      resolve(wrong);
    };
    session.on('error', (e) => done(String(e)));
    session.setTimeout(5_000, () => done('no answer within 5 s'));
    const { Host: authority, ...headers } = lane.headers;
    const req = session.request({ ':path': `${u.pathname}${u.search}`, ...(authority ? { ':authority': authority } : {}), ...headers });
    let status = 0;
    let body = '';
    req.on('response', (h) => (status = Number(h[':status'])));
    req.setEncoding('utf8').on('data', (c: string) => (body += c));
    req.on('end', () => done(status === 200 && body === BODY ? null : `${status}: ${body.slice(0, 300)}`));
    req.on('error', (e) => done(String(e)));
  });
}

try {
  const scriptStart = performance.now();
  const log = (l: string) => console.log(l);
  const tools = ensureTools(log);
  const h2 = ensureH2load(log);
  const versions = { ...toolVersions(tools), h2load: h2loadVersion(h2.path) };
  // This process (and what it starts unpinned: the control Worker's workerd) stays off the
  // proxy's core.
  repin(tools, [process.pid], APP_CPU);
  const requestFile = join(work, 'say-hello.bin');
  writeFileSync(requestFile, REQUEST);

  const srv = await startGrpcServer({ root: ROOT, work, cpus: APP_CPU, tools, log });
  // The reply's least size: frame header, "hello bench", the server's name (seen metadata on top).
  const minReply = 5 + 2 + `hello ${CALLER}`.length + 2 + srv.name.length;
  const app = await startNginxApp(tools, work, APP_CPU, BODY);
  nginxes.push(app);
  const appH2 = await startNginxApp(tools, work, APP_CPU, BODY, { name: 'nginx-app-h2', http2: true });
  nginxes.push(appH2);
  const grpcProxy = await startNginxGrpcProxy(tools, work, PROXY_CPU, srv.port);
  nginxes.push(grpcProxy);
  const naive = startProcess('naive-h2-proxy', pinned(tools, PROXY_CPU, [process.execPath, '--input-type=module', '-e', NAIVE_H2_PROXY]), { env: { ...process.env, UPSTREAM_PORT: String(srv.port) } });
  const naivePort = Number((await waitForOutput(naive, /LISTENING (\d+)/))[1]);
  const h2Proxy = await startNginxProxy(tools, work, PROXY_CPU, app.port, { name: 'nginx-h2-proxy', http2: true });
  nginxes.push(h2Proxy);

  const kind = new Map<Lane, Kind>();
  const lanes: Lane[] = [];
  const add = (k: Kind, ...ls: Lane[]) => ls.forEach((l) => (lanes.push(l), kind.set(l, k)));
  const direct: Lane = { key: 'direct', name: 'direct to the gRPC server', url: `http://127.0.0.1:${srv.port}${GRPC_PATH}`, headers: {}, hops: 0, pids: () => [srv.pid] };
  const nginxLane: Lane = { key: 'nginx', name: 'nginx grpc_pass', url: `http://127.0.0.1:${grpcProxy.port}${GRPC_PATH}`, headers: {}, hops: 1, pids: () => grpcProxy.pids() };
  const naiveLane: Lane = { key: 'naive', name: 'naive node:http2 proxy', url: `http://127.0.0.1:${naivePort}${GRPC_PATH}`, headers: {}, hops: 1, pids: () => [naive.pid] };
  add('grpc', direct, nginxLane, naiveLane);

  const sidecarStart = performance.now();
  sidecars = life.sidecars = await startSidecarLanes({
    root: ROOT,
    work,
    appPort: srv.port,
    appProtocol: 'grpc',
    statics: [
      { service: 'bench-greeter', port: srv.port, protocol: 'grpc', key: 'sidecar-outbound', name: 'sidecar outbound → server' },
      { service: 'bench-app', port: app.port, key: 'h2-sidecar-outbound', name: 'sidecar outbound → HTTP/1.1 app', path: HTTP_PATH },
    ],
    path: GRPC_PATH,
    cpus: PROXY_CPU,
    tools,
    answers: (l) => (l.key === 'h2-sidecar-outbound' ? h2Answers(l) : grpcAnswers(l, srv)),
  });
  const sidecarStartMs = performance.now() - sidecarStart;
  const byKey = (k: string) => sidecars?.lanes.find((l) => l.key === k);
  for (const k of ['sidecar-outbound', 'sidecar-inbound', 'sidecar-pair']) {
    const l = byKey(k);
    if (l) add('grpc', { ...l, name: l.key === 'sidecar-inbound' ? 'sidecar inbound → server (JWT-SVID)' : l.name });
  }
  const h2Direct: Lane = { key: 'h2-direct', name: 'direct to the app (h2c)', url: `http://127.0.0.1:${appH2.port}${HTTP_PATH}`, headers: {}, hops: 0, pids: () => appH2.pids() };
  const h2Nginx: Lane = { key: 'h2-nginx', name: 'nginx, h2c → HTTP/1.1 app', url: `http://127.0.0.1:${h2Proxy.port}${HTTP_PATH}`, headers: {}, hops: 1, pids: () => h2Proxy.pids() };
  add('h2', h2Direct, h2Nginx);
  const h2Sidecar = byKey('h2-sidecar-outbound');
  if (h2Sidecar) add('h2', h2Sidecar);

  for (const l of lanes) {
    const wrong = kind.get(l) === 'grpc' ? await grpcAnswers(l, srv) : await h2Answers(l);
    if (wrong) throw new Error(`${l.name}: ${wrong}`);
  }
  // Where each lane's proxy connects, and from which processes: the server (or app); for the
  // pair, A to B's inbound port and B to the server. The direct lane has no proxy.
  const bInbound = byKey('sidecar-inbound');
  const upstreams = (l: Lane): Upstream[] => {
    if (l.hops === 0) return [];
    const [first, second] = l.pids();
    if (l.key === 'sidecar-pair' && bInbound && first !== undefined && second !== undefined) {
      return [{ port: Number(new URL(bInbound.url).port), pids: [first] }, { port: srv.port, pids: [second] }];
    }
    return [{ port: kind.get(l) === 'h2' ? app.port : srv.port, pids: l.pids() }];
  };
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  for (const l of lanes) l.idleRss = sumRss(l.pids());
  for (const p of sidecars.processes) idleByPid.set(p.pid, rssBytes(p.pid));
  const idleHeap = await Promise.all(sidecars.processes.map((p) => p.memory()));
  const loadBefore = loadavg()[0] as number;

  /** One counted h2load run through `lane`, checked (see the top of this file). */
  const counted = async (lane: Lane, phase: string, connections: number, streams: number, requests: number, capS: number, latency: boolean): Promise<H2loadResult> => {
    const grpc = kind.get(lane) === 'grpc';
    const before = grpc ? await srv.calls() : 0;
    const r = await runH2load(tools, {
      h2load: h2.path,
      url: lane.url,
      connections,
      streams,
      requests,
      capS,
      cpus: LOAD_CPU,
      headers: { ...lane.headers, ...(grpc ? GRPC_HEADERS : {}) },
      ...(grpc ? { dataFile: requestFile } : {}),
      latency,
      dir: work,
    });
    const wrong: string[] = [h2loadErrors(r)];
    const least = grpc ? minReply : BODY.length;
    if (r.dataBytes < r.done * least) wrong.push(`${r.dataBytes} body bytes for ${r.done} answers: some had no ${grpc ? 'reply message (gRPC errors)' : 'body'}`);
    if (grpc) {
      const answered = (await srv.calls()) - before;
      if (answered < r.succeeded || answered > r.started) wrong.push(`the server answered ${answered} calls; h2load sent ${r.started} and counted ${r.succeeded} HTTP 200s`);
    }
    const failures = wrong.filter(Boolean).join('; ');
    if (failures) {
      const now = grpc ? await grpcAnswers(lane, srv).catch((e: unknown) => String(e)) : await h2Answers(lane);
      const logs = lane.key.includes('sidecar') ? `\n${(sidecars?.processes ?? []).map((p) => `--- ${p.name}\n${p.logs()}`).join('\n')}` : '';
      throw new Error(`${lane.name}, ${phase}: ${failures} (one more call now: ${now ?? 'answered'}); the figures would not be answered calls${logs}`);
    }
    return r;
  };

  // Each phase is sized from the lane's last measured rate for that kind of phase to last about
  // `seconds` (a first, short probe when there is none yet), and fails when it takes five times
  // as long.
  const rates = new Map<string, number>();
  const load = async (lane: Lane, phase: string, connections: number, streams: number, seconds: number, latency: boolean): Promise<H2loadResult> => {
    const rateKey = `${lane.key}|${phase.startsWith('latency') ? phase : 'saturation'}`;
    let rate = rates.get(rateKey);
    if (rate === undefined) {
      rate = (await counted(lane, `${phase}, probe`, connections, streams, connections * streams > 1 ? 500 : 100, 60, false)).rps;
    }
    const r = await counted(lane, phase, connections, streams, Math.max(100, Math.round(rate * seconds)), seconds * 5 + 15, latency);
    rates.set(rateKey, r.rps);
    return r;
  };

  const measureRound = async (lane: Lane): Promise<Round> => {
    const pids = lane.pids();
    const serverPids = kind.get(lane) === 'grpc' ? [srv.pid] : lane === h2Direct ? appH2.pids() : app.pids();
    const cpu0 = sumCpu(pids);
    const serverCpu0 = sumCpu(serverPids);
    const t0 = performance.now();
    const rss = sampleRss(pids);
    const conns = sampleConnections(upstreams(lane));
    const sat = await load(lane, 'saturation', SAT_CONNS, SAT_STREAMS, SAT_S, false);
    const sampled = rss.stop();
    const connections = conns.stop();
    const wallS = (performance.now() - t0) / 1000;
    const cpu = sumCpu(pids) - cpu0;
    const serverCpu = sumCpu(serverPids) - serverCpu0;
    for (const [pid, bytes] of sampled.byPid) loadedByPid.set(pid, Math.max(loadedByPid.get(pid) ?? 0, bytes));
    const round: Round = { rps: sat.rps, cpuMsPer1k: (cpu * 1000) / (sat.done / 1000), serverCpuMsPer1k: (serverCpu * 1000) / (sat.done / 1000), busy: cpu / wallS, peakRss: sampled.sum, connections };
    if (kind.get(lane) === 'grpc') {
      const split = await load(lane, 'latency (split cores)', 1, 1, LAT_S, true);
      // The proxy joins h2load and the server on their core for the one-core phase, then goes back.
      if (lane.hops > 0) repin(tools, pids, APP_CPU);
      let one: H2loadResult;
      try {
        one = await load(lane, 'latency (one core)', 1, 1, LAT_S, true);
      } finally {
        if (lane.hops > 0) repin(tools, pids, PROXY_CPU);
      }
      round.split = { p50: split.p50, p99: split.p99 };
      round.oneCore = { p50: one.p50, p99: one.p99 };
    }
    return round;
  };

  // Warm-up (JIT, pools, connection set-up), discarded.
  for (const l of lanes) await load(l, 'warm-up', SAT_CONNS, SAT_STREAMS, WARM_S, false);
  const rounds = new Map<Lane, Round[]>(lanes.map((l) => [l, []]));
  for (let r = 0; r < ROUNDS; r++) for (const l of lanes) rounds.get(l)?.push(await measureRound(l));
  const highWater = new Map(lanes.map((l) => [l, l.pids().reduce((s, p) => s + peakRssBytes(p), 0)]));
  // Still answering correctly after the load.
  for (const l of lanes) {
    const wrong = kind.get(l) === 'grpc' ? await grpcAnswers(l, srv) : await h2Answers(l);
    if (wrong) throw new Error(`${l.name}, after the rounds: ${wrong}`);
  }
  const loadedHeap = await Promise.all(sidecars.processes.map((p) => p.memory()));
  const loadAfter = loadavg()[0] as number;

  // The BEST round of each figure (highest calls/s, lowest CPU, lowest p50 and p99); RSS
  // loaded is the highest sample; CPU busy the median.
  const fig = new Map(
    lanes.map((l) => {
      const rs = rounds.get(l) as Round[];
      const min = (get: (x: Round) => number) => Math.min(...rs.map(get));
      const x: Round = {
        rps: Math.max(...rs.map((x) => x.rps)),
        cpuMsPer1k: min((x) => x.cpuMsPer1k),
        serverCpuMsPer1k: min((x) => x.serverCpuMsPer1k),
        busy: median(rs.map((x) => x.busy)),
        peakRss: Math.max(...rs.map((x) => x.peakRss)),
        connections: (rs[0] as Round).connections.map((_, i) => Math.max(...rs.map((x) => x.connections[i] as number))),
      };
      if (kind.get(l) === 'grpc') {
        x.split = { p50: min((x) => x.split?.p50 ?? NaN), p99: min((x) => x.split?.p99 ?? NaN) };
        x.oneCore = { p50: min((x) => x.oneCore?.p50 ?? NaN), p99: min((x) => x.oneCore?.p99 ?? NaN) };
      }
      return [l, x];
    }),
  );
  // The direct lane has no proxy to move: its two placements are the same measurement, so its
  // baseline is the best of both (a disturbed baseline would make added latency look negative).
  {
    const d = fig.get(direct) as Round;
    const both = { p50: Math.min(d.oneCore?.p50 ?? NaN, d.split?.p50 ?? NaN), p99: Math.min(d.oneCore?.p99 ?? NaN, d.split?.p99 ?? NaN) };
    d.oneCore = both;
    d.split = { ...both };
  }
  const f = (l: Lane) => fig.get(l) as Round;
  const baseOf = (l: Lane) => (kind.get(l) === 'grpc' ? { direct, nginx: nginxLane } : { direct: h2Direct, nginx: h2Nginx });
  const vsDirect = (l: Lane) => f(l).rps / f(baseOf(l).direct).rps;
  const vsNginx = (l: Lane) => f(l).rps / f(baseOf(l).nginx).rps;
  // What one full core of the proxy would sustain per hop: the load generator and the server
  // share a core, which can be the limit before the proxy is.
  const perCore = (l: Lane) => (1_000_000 * l.hops) / f(l).cpuMsPer1k;
  const coreVsNginx = (l: Lane) => perCore(l) / perCore(baseOf(l).nginx);
  const perHop = (l: Lane, where: 'split' | 'oneCore', k: keyof Latency) => (l.hops === 0 ? NaN : ((f(l)[where]?.[k] ?? NaN) - (f(direct)[where]?.[k] ?? NaN)) / l.hops);
  const mb = (b: number | undefined) => (b === undefined ? '' : (b / 1048576).toFixed(1));
  const us = (n: number | undefined) => (n === undefined || Number.isNaN(n) ? '' : n.toFixed(0));
  const grpcLanes = lanes.filter((l) => kind.get(l) === 'grpc');
  const h2Lanes = lanes.filter((l) => kind.get(l) === 'h2');

  console.log(`## gRPC and HTTP/2 through the sidecar vs direct vs nginx (Node ${process.version}; ${versions.h2load}; ${versions.nginx}; Linux ${release()}, ${cpus().length} CPUs)`);
  if (tools.installed.length + h2.installed.length > 0) console.log(`installed in this run: ${[...tools.installed, ...h2.installed].join(', ')}`);
  console.log(`gRPC server: ${srv.what}, pinned like the app`);
  console.log(
    TWO_CORES && tools.taskset
      ? `pinning: saturation and "split" latency with the proxy under test alone on CPU ${PROXY_CPU} (both sidecars of the pair share it), server, app (nginx, 1 worker) and h2load on CPU ${APP_CPU}; "one core" latency with the proxy moved onto CPU ${APP_CPU} too`
      : 'pinning: none (fewer than 2 CPUs or no taskset): every figure competes for the same CPU',
  );
  console.log(`machine load (1-min average) ${loadBefore.toFixed(2)} before the rounds, ${loadAfter.toFixed(2)} after: anything else running shares these CPUs`);
  console.log(`sidecars: ${sidecars.description}${sidecars.lanes.length > 0 ? ` (control + sidecars up in ${(sidecarStartMs / 1000).toFixed(1)} s)` : ''}`);
  console.log(
    `${ROUNDS} interleaved round(s) after a ${WARM_S} s warm-up per lane; every figure is the lane's BEST round; every round is in the JSON. ` +
      `Saturation: h2load -t1 -c${SAT_CONNS} -m${SAT_STREAMS}, -n sized to last about ${SAT_S} s. gRPC latency: h2load -c1 -m1, about ${LAT_S} s per placement (its per-request log). ` +
      'CPU and RSS are those of the proxy processes (direct: the server or app; nginx: master + worker; pair: both sidecars); server CPU is the gRPC server\'s (HTTP/2: the app\'s) in the same phase; ' +
      'upstream conns: the most TCP connections the proxy held open to the server (HTTP/2: the app) during saturation, for the pair A → B + B → server; ' +
      'calls/s per core per hop = 10⁶ × hops ÷ (CPU ms per 1k calls).\n',
  );
  printTable(
    ['gRPC unary, saturation', 'hops', 'calls/s', '÷ direct', '÷ nginx', 'CPU ms/1k calls', 'CPU busy', 'server CPU ms/1k', 'upstream conns', 'calls/s per core per hop', '÷ nginx', 'RSS idle MB', 'RSS loaded MB'],
    grpcLanes.map((l) => [
      l.name,
      String(l.hops),
      f(l).rps.toFixed(0),
      l === direct ? '' : vsDirect(l).toFixed(2),
      l === direct ? '' : vsNginx(l).toFixed(2),
      f(l).cpuMsPer1k.toFixed(1),
      `${(f(l).busy * 100).toFixed(0)} %`,
      f(l).serverCpuMsPer1k.toFixed(1),
      f(l).connections.join(' + '),
      l === direct ? '' : perCore(l).toFixed(0),
      l === direct ? '' : coreVsNginx(l).toFixed(2),
      mb(l.idleRss),
      mb(f(l).peakRss),
    ]),
  );
  printTable(
    ['gRPC unary, 1 call in flight (µs)', 'hops', 'p50 one core', 'p99', '+p50/hop', '+p99/hop', 'p50 split', 'p99', '+p50/hop', '+p99/hop'],
    grpcLanes.map((l) => [
      l.name,
      String(l.hops),
      us(f(l).oneCore?.p50),
      us(f(l).oneCore?.p99),
      us(perHop(l, 'oneCore', 'p50')),
      us(perHop(l, 'oneCore', 'p99')),
      us(f(l).split?.p50),
      us(f(l).split?.p99),
      us(perHop(l, 'split', 'p50')),
      us(perHop(l, 'split', 'p99')),
    ]),
  );
  printTable(
    ['HTTP/2 GET, saturation', 'hops', 'req/s', '÷ direct', '÷ nginx', 'CPU ms/1k req', 'CPU busy', 'upstream conns', 'req/s per core per hop', '÷ nginx', 'RSS loaded MB'],
    h2Lanes.map((l) => [
      l.name,
      String(l.hops),
      f(l).rps.toFixed(0),
      l === h2Direct ? '' : vsDirect(l).toFixed(2),
      l === h2Direct ? '' : vsNginx(l).toFixed(2),
      f(l).cpuMsPer1k.toFixed(1),
      `${(f(l).busy * 100).toFixed(0)} %`,
      f(l).connections.join(' + '),
      l === h2Direct ? '' : perCore(l).toFixed(0),
      l === h2Direct ? '' : coreVsNginx(l).toFixed(2),
      mb(f(l).peakRss),
    ]),
  );
  console.log(`naive node:http2 proxy: ${vsNginx(naiveLane).toFixed(2)}× nginx grpc_pass's calls/s, ${coreVsNginx(naiveLane).toFixed(2)}× per core`);
  for (const l of grpcLanes.filter((x) => x.key.startsWith('sidecar-'))) {
    console.log(`${l.name}: ${(f(l).rps / f(naiveLane).rps).toFixed(2)}× the naive proxy's calls/s, ${(f(l).cpuMsPer1k / l.hops / f(naiveLane).cpuMsPer1k).toFixed(1)}× its CPU per call per hop`);
  }
  sidecars.processes.forEach((p, i) => {
    const show = (m: Awaited<ReturnType<typeof p.memory>>) => (m ? `V8 heap ${m.heapUsedMB.toFixed(1)} used / ${m.heapTotalMB.toFixed(1)} total, external ${m.externalMB.toFixed(1)} MB` : 'n/a');
    console.log(
      `${p.name}: RSS idle ${mb(idleByPid.get(p.pid))} MB, highest sample under load ${mb(loadedByPid.get(p.pid))} MB, high-water ${mb(peakRssBytes(p.pid))} MB; ` +
        `idle ${show(idleHeap[i] ?? null)}; after the rounds ${show(loadedHeap[i] ?? null)} (its /metrics)`,
    );
  });
  for (const l of lanes) {
    if (l.hops > 0 && f(l).busy < 0.85) console.log(`note: ${l.name} was ${(f(l).busy * 100).toFixed(0)} % busy at saturation: h2load and the server on CPU ${APP_CPU ?? '(shared)'} (or other load) were the limit, not the proxy; its per-core figure is the fairer one`);
  }

  const out = {
    bench: 'grpc',
    at: new Date().toISOString(),
    machine: { node: process.version, kernel: release(), cpus: cpus().length, h2load: versions.h2load, nginx: versions.nginx },
    grpcServer: srv.what,
    pinning: TWO_CORES && tools.taskset ? { proxy: PROXY_CPU, server: APP_CPU, h2load: LOAD_CPU, oneCoreLatency: APP_CPU } : null,
    method: {
      rounds: ROUNDS,
      aggregate: 'best round per figure (max calls/s, min CPU/call, min p50/p99; busy: median; RSS loaded: max sample)',
      saturation: { connections: SAT_CONNS, streamsPerConnection: SAT_STREAMS, seconds: SAT_S },
      latency: { connections: 1, streams: 1, seconds: LAT_S },
      warmupSeconds: WARM_S,
    },
    sidecars: sidecars.description,
    loadAverage: { before: loadBefore, after: loadAfter },
    sidecarMemory: sidecars.processes.map((p, i) => ({
      name: p.name,
      rssIdleMB: Number(mb(idleByPid.get(p.pid))),
      rssLoadedMB: Number(mb(loadedByPid.get(p.pid))),
      rssHighWaterMB: Number(mb(peakRssBytes(p.pid))),
      idle: idleHeap[i] ?? null,
      afterRounds: loadedHeap[i] ?? null,
    })),
    lanes: lanes.map((l) => ({
      key: l.key,
      kind: kind.get(l),
      name: l.name,
      hops: l.hops,
      rps: Math.round(f(l).rps),
      vsDirect: l.hops === 0 ? null : Number(vsDirect(l).toFixed(3)),
      vsNginx: l.hops === 0 ? null : Number(vsNginx(l).toFixed(3)),
      perCorePerHop: l.hops === 0 ? null : Math.round(perCore(l)),
      perCoreVsNginx: l.hops === 0 ? null : Number(coreVsNginx(l).toFixed(3)),
      latencyUs: kind.get(l) === 'grpc' ? { oneCore: f(l).oneCore, split: f(l).split } : null,
      addedUsPerHop:
        kind.get(l) !== 'grpc' || l.hops === 0
          ? null
          : { oneCore: { p50: Math.round(perHop(l, 'oneCore', 'p50')), p99: Math.round(perHop(l, 'oneCore', 'p99')) }, split: { p50: Math.round(perHop(l, 'split', 'p50')), p99: Math.round(perHop(l, 'split', 'p99')) } },
      cpuMsPer1k: Number(f(l).cpuMsPer1k.toFixed(2)),
      serverCpuMsPer1k: Number(f(l).serverCpuMsPer1k.toFixed(2)),
      cpuBusy: Number(f(l).busy.toFixed(2)),
      upstreamConnections: f(l).connections,
      rssIdleMB: l.idleRss === undefined ? null : Number(mb(l.idleRss)),
      rssLoadedMB: Number(mb(f(l).peakRss)),
      rssHighWaterMB: Number(mb(highWater.get(l))),
      rounds: rounds.get(l),
    })),
  };
  mkdirSync(join(ROOT, '.weft/bench'), { recursive: true });
  writeFileSync(join(ROOT, '.weft/bench/grpc.json'), `${JSON.stringify(out, null, 2)}\n`);
  console.log('\nfigures written to .weft/bench/grpc.json');
  console.log(`(${((performance.now() - scriptStart) / 1000).toFixed(1)} s)`);
} finally {
  await cleanup();
}
