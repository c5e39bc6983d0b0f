// The sidecar lanes of bench/sidecar.bench.ts and bench/grpc.bench.ts. Starts the REAL control
// Worker (Miniflare, in the bench process: test/support/control-harness.ts), pushes a policy,
// and starts two sidecar processes from the shipped bundle, each with its own join token:
//
//   A  service bench-caller: its outbound listener is where wrk (or h2load) sends, with
//      `Host: bench-app` (a Service with the app as its static endpoint: one hop; the gRPC
//      bench adds more such Services) or `Host: bench-callee` (the registered instance of B:
//      the pair);
//   B  service bench-callee, app = the app (`protocol: grpc` when it is a gRPC server):
//      registers its inbound port with control; A finds it through the signed endpoints
//      document and calls it over mutual TLS (X.509-SVIDs from control; ALPN h2 for a gRPC
//      Service): the pair is the real east-west path.
//
// A third lane sends wrk straight to B's inbound in plaintext with a JWT-SVID of a third
// identity (bench-client, from control with a join token): wrk cannot present a client
// certificate, so bench-callee is `permissive` (the Mesh is strict); the SVID is still
// verified on every request, and a forged one is refused before anything is measured.
// JWT-SVIDs live 15 minutes so none is renewed mid-run.
//
// The bundle is built from the working tree into the bench's temp folder with the same
// function `npm run build:sidecar` runs (sidecar/build.ts), so the bench measures the current
// code without touching dist/. Without sidecar/build.ts, sidecar/main.ts runs under Node's
// type stripping (the report says so: that costs tens of MB of RSS).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { call } from '../../test/support/dev-mesh.ts';
import { startProcess, stopProcess, waitForOutput } from './sidecar-processes.ts';
import type { Started } from './sidecar-processes.ts';
import { pinned } from './wrk.ts';
import type { Tools } from './wrk.ts';

/** One measured thing. */
export interface Lane {
  key: string;
  name: string;
  url: string;
  headers: Record<string, string>;
  /** Proxy hops between wrk and the app (0 for direct). */
  hops: number;
  /** The processes whose RSS and CPU are this lane's cost (direct: the app). */
  pids: () => number[];
  /** Sum of the processes' RSS after start-up settled, before any traffic (bytes). */
  idleRss?: number;
}

/** One sidecar process, for the per-process RSS targets. */
export interface SidecarProcess {
  name: string;
  pid: number;
  /** V8 heap and external memory from the sidecar's own /metrics (prom-client), MB; null when unavailable. */
  memory(): Promise<{ heapUsedMB: number; heapTotalMB: number; externalMB: number } | null>;
  /** The end of its stderr and of its access log, for a failure report. */
  logs(): string;
}

export interface SidecarLanes {
  lanes: Lane[];
  processes: SidecarProcess[];
  /** What runs (bundle or source entry, control), or why nothing does. */
  description: string;
  close(): Promise<void>;
}

/** A Service with one static endpoint on 127.0.0.1, reached through A's outbound: a one-hop lane. */
export interface StaticService {
  service: string;
  port: number;
  protocol?: 'http' | 'grpc';
  /** The lane's key and name in the report. */
  key: string;
  name: string;
  /** Path (and query) the lane asks for; default: the options' `path`. */
  path?: string;
}

export interface SidecarLaneOptions {
  root: string;
  work: string;
  /** B's app. */
  appPort: number;
  /** What B's app speaks: its Service's `protocol` (default http). */
  appProtocol?: 'http' | 'grpc';
  /** The one-hop outbound lanes; default: bench-app, the app at `appPort`, as `sidecar-outbound`. */
  statics?: StaticService[];
  /** Path (and query) the load generator asks for. */
  path: string;
  /** CPU list for the sidecar processes. */
  cpus: string | undefined;
  tools: Tools;
  /**
   * Whether a lane answers as it should: null, or what it answered instead. Polled (bounded)
   * before anything is measured, since the pair needs B's registration to reach A; default:
   * an HTTP/1.1 GET that gets a 200.
   */
  answers?: (lane: Lane) => Promise<string | null>;
}

interface Entry {
  argv: string[];
  what: string;
}

/**
 * The Node flags the shipped image runs the bundle with: those between `node` and the script
 * in sidecar/Dockerfile's ENTRYPOINT, and its `NODE_OPTIONS` if it sets one, so the bench
 * measures the process as shipped. WEFT_BENCH_SIDECAR_NODE_FLAGS (space-separated) replaces
 * them, for trying memory settings.
 */
function shippedNodeFlags(root: string): { flags: string[]; nodeOptions: string | undefined; from: string } {
  const override = process.env.WEFT_BENCH_SIDECAR_NODE_FLAGS;
  if (override !== undefined) return { flags: override.split(/\s+/).filter(Boolean), nodeOptions: undefined, from: 'WEFT_BENCH_SIDECAR_NODE_FLAGS' };
  const file = join(root, 'sidecar/Dockerfile');
  if (!existsSync(file)) return { flags: [], nodeOptions: undefined, from: 'no sidecar/Dockerfile' };
  const text = readFileSync(file, 'utf8');
  let flags: string[] = [];
  const entry = /^ENTRYPOINT\s+(\[.*\])\s*$/m.exec(text);
  if (entry) {
    try {
      const argv = JSON.parse(entry[1] as string) as string[];
      const script = argv.findIndex((a) => a.endsWith('.mjs'));
      if (script > 0) flags = argv.slice(1, script);
    } catch {
      // not the exec form: no flags taken
    }
  }
  const opts = /^\s*(?:ENV\s+)?NODE_OPTIONS[= ]"?([^"\n\\]*)"?/m.exec(text);
  return { flags, nodeOptions: opts?.[1]?.trim() || undefined, from: 'sidecar/Dockerfile' };
}

/** The sidecar to run: the bundle built now from the working tree, else the best there is. */
function sidecarEntry(root: string, work: string): Entry | string {
  const shipped = shippedNodeFlags(root);
  const flags = [...(shipped.nodeOptions ? shipped.nodeOptions.split(/\s+/) : []), ...shipped.flags];
  const how = `, run as \`node ${[...flags, 'weft-sidecar.mjs'].join(' ')}\` (Node flags from ${shipped.from})`;
  if (existsSync(join(root, 'sidecar/build.ts')) && existsSync(join(root, 'sidecar/main.ts'))) {
    const outdir = join(work, 'dist');
    const script = `const m = await import(${JSON.stringify(join(root, 'sidecar/build.ts'))}); await m.buildSidecarBundle(${JSON.stringify(outdir)});`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 120_000 });
    const entry = join(outdir, 'weft-sidecar.mjs');
    if (r.status === 0 && existsSync(entry)) return { argv: [process.execPath, ...flags, entry], what: `the shipped bundle (weft-sidecar.mjs, built now from the working tree by sidecar/build.ts, as \`npm run build:sidecar\` does)${how}` };
    return `NOT MEASURED: building the sidecar bundle failed:\n${`${r.stdout}${r.stderr}${r.error ?? ''}`.slice(-2000)}`;
  }
  if (existsSync(join(root, 'dist/weft-sidecar.mjs'))) return { argv: [process.execPath, ...flags, join(root, 'dist/weft-sidecar.mjs')], what: `dist/weft-sidecar.mjs as found (no sidecar/build.ts to rebuild it)${how}` };
  if (existsSync(join(root, 'sidecar/main.ts'))) return { argv: [process.execPath, join(root, 'sidecar/main.ts')], what: 'sidecar/main.ts under Node type stripping (NO BUNDLE YET: RSS is tens of MB higher than the shipped bundle would be)' };
  return 'NOT MEASURED: there is no sidecar entry yet (sidecar/main.ts)';
}

function policy(appPort: number, appProtocol: 'http' | 'grpc', statics: StaticService[]): Record<string, string> {
  const doc = (lines: string[]) => lines.join('\n');
  const protocol = (p: 'http' | 'grpc' | undefined) => (p && p !== 'http' ? [`  protocol: ${p}`] : []);
  return {
    'mesh.yaml': doc(['apiVersion: weft/v1', 'kind: Mesh', 'metadata: { name: weft }', 'spec:', '  trustDomain: weft.local', '  identity: { jwtSvidTtl: 15m }', '  mtls: { mode: strict }']),
    'services.yaml': [
      ...statics.map((st) => doc(['apiVersion: weft/v1', 'kind: Service', `metadata: { name: ${st.service} }`, 'spec:', `  port: ${st.port}`, ...protocol(st.protocol), `  endpoints: [{ address: 127.0.0.1, port: ${st.port} }]`])),
      doc(['apiVersion: weft/v1', 'kind: Service', 'metadata: { name: bench-callee }', 'spec:', `  port: ${appPort}`, ...protocol(appProtocol), '  mtls: { mode: permissive }']),
      doc(['apiVersion: weft/v1', 'kind: Service', 'metadata: { name: bench-caller }', 'spec:', '  port: 8080']),
      doc(['apiVersion: weft/v1', 'kind: Service', 'metadata: { name: bench-client }', 'spec:', '  port: 8080']),
    ].join('\n---\n'),
  };
}

async function memoryOf(adminPort: number): Promise<{ heapUsedMB: number; heapTotalMB: number; externalMB: number } | null> {
  try {
    const r = await call(`http://127.0.0.1:${adminPort}/metrics`, { agent: false });
    const gauge = (name: string) => Number(new RegExp(`^\\w*nodejs_${name} ([0-9.e+]+)$`, 'm').exec(r.body)?.[1] ?? NaN) / 1048576;
    const m = { heapUsedMB: gauge('heap_size_used_bytes'), heapTotalMB: gauge('heap_size_total_bytes'), externalMB: gauge('external_memory_bytes') };
    return Number.isNaN(m.heapUsedMB) ? null : m;
  } catch {
    return null;
  }
}

function logsOf(p: Started, accessLog: string): string {
  let access = '';
  try {
    access = readFileSync(accessLog, 'utf8').trimEnd().split('\n').slice(-5).join('\n');
  } catch {
    // none yet
  }
  return `stderr:\n${p.output().slice(-1500)}\naccess log (last lines):\n${access}`;
}

const none = (description: string): SidecarLanes => ({ lanes: [], processes: [], description, close: async () => undefined });

export async function startSidecarLanes(o: SidecarLaneOptions): Promise<SidecarLanes> {
  const entry = sidecarEntry(o.root, o.work);
  if (typeof entry === 'string') return none(entry);
  if (!existsSync(join(o.root, 'test/support/control-harness.ts'))) return none('NOT MEASURED: test/support/control-harness.ts (the control Worker for Node) is missing');

  const { startControl } = await import('../../test/support/control-harness.ts');
  const control = await startControl({ vars: { ENDPOINT_TTL_SECONDS: '60', STATUS_STALE_AFTER_SECONDS: '60' } });
  const procs: Started[] = [];
  const close = async () => {
    try {
      await Promise.all(procs.map((p) => stopProcess(p, 5_000)));
    } finally {
      await control.close();
    }
  };
  try {
    const statics = o.statics ?? [{ service: 'bench-app', port: o.appPort, key: 'sidecar-outbound', name: 'sidecar outbound → app' }];
    await control.push(policy(o.appPort, o.appProtocol ?? 'http', statics), { author: 'sidecar bench' });
    const ports: Record<string, { inbound: number; outbound: number; admin: number }> = {};
    const start = async (name: string, service: string) => {
      const token = await control.joinToken(service);
      const state = join(o.work, `${name}-state`);
      mkdirSync(state, { recursive: true });
      const argv = [
        ...entry.argv,
        '--service', service,
        '--app-port', String(o.appPort),
        '--control', control.url,
        '--join-token', token,
        '--inbound-port', '0',
        '--outbound-port', '0',
        '--admin-port', '0',
        '--instance-id', `${name}-${process.pid}`,
        '--state-dir', state,
        '--drain-seconds', '1',
      ];
      const p = startProcess(name, pinned(o.tools, o.cpus, argv), { stdoutFile: join(o.work, `${name}-access.log`) });
      procs.push(p);
      const m = await waitForOutput(p, /"msg":"sidecar started".*"ports":(\{[^}]*\})/, 30_000);
      ports[name] = JSON.parse(m[1] as string) as { inbound: number; outbound: number; admin: number };
      return p;
    };
    const [a, b] = await Promise.all([start('sidecar-A', 'bench-caller'), start('sidecar-B', 'bench-callee')]);
    const pa = ports['sidecar-A'] as { outbound: number; admin: number };
    const pb = ports['sidecar-B'] as { inbound: number; admin: number };

    // A JWT-SVID for B's inbound, as bench-client's sidecar would attach it.
    const clientJoin = await control.joinToken('bench-client');
    const svidRes = await control.request('POST', '/v1/identity/svid', { token: clientJoin, body: { audiences: ['spiffe://weft.local/ns/default/sa/bench-callee'] } });
    const svidText = await svidRes.text();
    if (svidRes.status !== 200) throw new Error(`POST /v1/identity/svid for bench-client: ${svidRes.status}: ${svidText.slice(0, 300)}`);
    const svid = (JSON.parse(svidText) as { jwtSvids: { token: string }[] }).jwtSvids[0]?.token as string;

    const lanes: Lane[] = [
      ...statics.map((st) => ({ key: st.key, name: st.name, url: `http://127.0.0.1:${pa.outbound}${st.path ?? o.path}`, headers: { Host: st.service }, hops: 1, pids: () => [a.pid] })),
      { key: 'sidecar-inbound', name: 'sidecar inbound → app', url: `http://127.0.0.1:${pb.inbound}${o.path}`, headers: { 'x-weft-svid': svid }, hops: 1, pids: () => [b.pid] },
      { key: 'sidecar-pair', name: 'sidecar pair (out → in → app)', url: `http://127.0.0.1:${pa.outbound}${o.path}`, headers: { Host: 'bench-callee' }, hops: 2, pids: () => [a.pid, b.pid] },
    ];
    // The SVID is really checked: B's inbound refuses a forged one.
    const inbound = lanes.find((l) => l.key === 'sidecar-inbound') as Lane;
    const forged = await call(inbound.url, { headers: { 'x-weft-svid': `${svid.slice(0, -4)}AAAA` }, agent: false });
    if (forged.status !== 401) throw new Error(`sidecar B inbound with a forged SVID: expected 401, got ${forged.status}: ${forged.body.slice(0, 300)}`);
    // Every lane answers as it should before anything is measured (the pair needs B's
    // registration to reach A through control's endpoints document): bounded wait.
    const answers =
      o.answers ??
      (async (lane: Lane) => {
        const r = await call(lane.url, { headers: lane.headers, agent: false });
        return r.status === 200 ? null : `${r.status}: ${r.body.slice(0, 300)}`;
      });
    const deadline = performance.now() + 30_000;
    for (const lane of lanes) {
      for (;;) {
        const wrong = await answers(lane).catch((e: unknown) => String(e));
        if (wrong === null) break;
        if (performance.now() > deadline) throw new Error(`${lane.name}: not answering as it should within 30 s; last: ${wrong}\nA: ${a.output().slice(-1000)}\nB: ${b.output().slice(-1000)}`);
        await new Promise((res) => setTimeout(res, 200));
      }
    }
    return {
      lanes,
      processes: [
        { name: 'sidecar A (outbound side)', pid: a.pid, memory: () => memoryOf(pa.admin), logs: () => logsOf(a, join(o.work, 'sidecar-A-access.log')) },
        { name: 'sidecar B (inbound side)', pid: b.pid, memory: () => memoryOf(pb.admin), logs: () => logsOf(b, join(o.work, 'sidecar-B-access.log')) },
      ],
      description: `${entry.what}; control: the real control Worker in Miniflare in the bench process; two sidecar processes, access log to a file`,
      close,
    };
  } catch (e) {
    await close().catch(() => undefined);
    throw e;
  }
}
