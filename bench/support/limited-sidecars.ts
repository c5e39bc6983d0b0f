// The mesh of bench/mesh-global-limit.bench.ts's sidecar scenario: the REAL control Worker
// (test/support/control-harness.ts: Miniflare, workerd on its own 127.0.0.1 socket, the
// RateLimitLeases object bound), a pushed policy with one `global` RateLimit on one Service,
// and `count` sidecar processes of that Service, each beside its own app
// (test/support/upstream-server.ts), each joined with its own join token.
//
// The sidecar is the shipped bundle built now from the working tree into `work` (sidecar/build.ts,
// as `npm run build:sidecar` does), run with the Node flags of sidecar/Dockerfile's ENTRYPOINT;
// without sidecar/build.ts, sidecar/main.ts under type stripping. Every process is recorded by
// PID (sidecar-processes.ts) and stopped by PID in close().
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import type { ControlHarness } from '../../test/support/control-harness.ts';
import { startUpstream } from '../../test/support/upstream-server.ts';
import type { UpstreamServer } from '../../test/support/upstream-server.ts';
import { startProcess, stopProcess, waitForOutput } from './sidecar-processes.ts';
import type { Started } from './sidecar-processes.ts';

export interface LimitedSidecar {
  name: string;
  pid: number;
  ports: { inbound: number; outbound: number; admin: number };
  process: Started;
  /** Its access log (stdout): one JSON line per request, written after the response ended. */
  accessLog: string;
}

export interface LimitedMesh {
  sidecars: LimitedSidecar[];
  control: ControlHarness;
  /** What runs (the sidecar entry, control). */
  description: string;
  close(): Promise<void>;
}

export interface LimitSpec {
  service: string;
  header: string;
  requests: number;
  period: string;
  burst: number;
}

/** The policy: a permissive Mesh, the Service, one RateLimit on it with one `global` limit keyed on a header. */
export function limitedPolicy(l: LimitSpec): Record<string, string> {
  const doc = (lines: string[]) => lines.join('\n');
  return {
    'mesh.yaml': doc(['apiVersion: weft/v1', 'kind: Mesh', 'metadata: { name: weft }', 'spec:', '  trustDomain: weft.local', '  identity: { jwtSvidTtl: 15m }', '  mtls: { mode: permissive }']),
    'service.yaml': doc(['apiVersion: weft/v1', 'kind: Service', `metadata: { name: ${l.service} }`, 'spec:', '  port: 8080']),
    'ratelimit.yaml': doc([
      'apiVersion: weft/v1',
      'kind: RateLimit',
      `metadata: { name: ${l.service}-per-tenant }`,
      'spec:',
      `  targetRefs: [{ kind: Service, name: ${l.service} }]`,
      '  limits:',
      `    - { name: per-tenant, key: { header: ${l.header} }, requests: ${l.requests}, period: ${l.period}, burst: ${l.burst}, scope: global }`,
    ]),
  };
}

/** The sidecar command: the bundle built now, with the shipped Node flags; else the source entry. */
function sidecarCommand(root: string, work: string): { argv: string[]; what: string } {
  let flags: string[] = [];
  const dockerfile = join(root, 'sidecar/Dockerfile');
  if (existsSync(dockerfile)) {
    const entry = /^ENTRYPOINT\s+(\[.*\])\s*$/m.exec(readFileSync(dockerfile, 'utf8'));
    try {
      const argv = entry ? (JSON.parse(entry[1] as string) as string[]) : [];
      const script = argv.findIndex((a) => a.endsWith('.mjs'));
      if (script > 0) flags = argv.slice(1, script);
    } catch {
      // not the exec form: no flags
    }
  }
  if (existsSync(join(root, 'sidecar/build.ts'))) {
    const outdir = join(work, 'dist');
    const script = `const m = await import(${JSON.stringify(join(root, 'sidecar/build.ts'))}); await m.buildSidecarBundle(${JSON.stringify(outdir)});`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 120_000 });
    const bundle = join(outdir, 'weft-sidecar.mjs');
    if (r.status === 0 && existsSync(bundle))
      return { argv: [process.execPath, ...flags, bundle], what: `the shipped bundle built now from the working tree (sidecar/build.ts), run as \`node ${[...flags, 'weft-sidecar.mjs'].join(' ')}\`` };
    throw new Error(`building the sidecar bundle failed:\n${`${r.stdout}${r.stderr}${r.error ?? ''}`.slice(-2000)}`);
  }
  return { argv: [process.execPath, join(root, 'sidecar/main.ts')], what: 'sidecar/main.ts under Node type stripping (no sidecar/build.ts)' };
}

/** One plaintext GET of `path` on a fresh connection: status, headers, body. */
export function getOnce(port: number, path: string, headers: Record<string, string>, timeoutMs = 5_000): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers, agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (s: string) => (body += s));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

export async function startLimitedMesh(o: { root: string; work: string; count: number; limit: LimitSpec }): Promise<LimitedMesh> {
  const command = sidecarCommand(o.root, o.work);
  const { startControl } = await import('../../test/support/control-harness.ts');
  const control = await startControl({ vars: { ENDPOINT_TTL_SECONDS: '60', STATUS_STALE_AFTER_SECONDS: '60' } });
  const apps: UpstreamServer[] = [];
  const procs: Started[] = [];
  const close = async () => {
    try {
      await Promise.all(procs.map((p) => stopProcess(p, 5_000)));
      await Promise.all(apps.map((a) => a.close()));
    } finally {
      await control.close();
    }
  };
  try {
    await control.push(limitedPolicy(o.limit), { author: 'mesh-global-limit bench' });
    const start = async (i: number): Promise<LimitedSidecar> => {
      const name = `${o.limit.service}-${i + 1}`;
      const app = await startUpstream(`app-${i + 1}`);
      apps.push(app);
      const token = await control.joinToken(o.limit.service);
      const state = join(o.work, `${name}-state`);
      mkdirSync(state, { recursive: true });
      const argv = [
        ...command.argv,
        '--service', o.limit.service,
        '--app-port', String(app.port),
        '--control', control.url,
        '--join-token', token,
        '--inbound-port', '0',
        '--outbound-port', '0',
        '--admin-port', '0',
        '--instance-id', name,
        '--state-dir', state,
        '--drain-seconds', '1',
      ];
      const accessLog = join(o.work, `${name}-access.log`);
      const p = startProcess(name, argv, { stdoutFile: accessLog });
      procs.push(p);
      const m = await waitForOutput(p, /"msg":"sidecar started".*"ports":(\{[^}]*\})/, 60_000);
      const ports = JSON.parse(m[1] as string) as LimitedSidecar['ports'];
      return { name, pid: p.pid, ports, process: p, accessLog };
    };
    const sidecars = await Promise.all(Array.from({ length: o.count }, (_, i) => start(i)));
    // Ready (snapshot and identity in hand), and the limit in force on each inbound: a
    // plaintext caller without an SVID gets the app's 200 with RateLimit-* headers. Each warms
    // its own key (not the measured one), so control's lease path is warm, as in a running mesh.
    const deadline = performance.now() + 60_000;
    for (const [i, s] of sidecars.entries()) {
      for (;;) {
        const ready = await getOnce(s.ports.admin, '/ready', {}).catch(() => undefined);
        const r = ready?.status === 200 ? await getOnce(s.ports.inbound, '/', { [o.limit.header]: `warm-up-${i + 1}` }).catch((e: unknown) => ({ status: 0, headers: {} as Record<string, string | undefined>, body: String(e) })) : undefined;
        if (r?.status === 200 && r.headers['ratelimit-limit'] !== undefined) break;
        if (performance.now() > deadline)
          throw new Error(`${s.name}: inbound gave no 200 with RateLimit-* headers within 60 s; last ${r ? `${r.status} ${r.body.slice(0, 300)}` : 'not ready'}\n${s.process.output().slice(-1500)}`);
        await new Promise((res) => setTimeout(res, 200));
      }
    }
    return {
      sidecars,
      control,
      description: `${o.count} sidecar processes of ${o.limit.service} (${command.what}), each beside its own app; control: the real control Worker in local workerd (Miniflare, test/support/control-harness.ts)`,
      close,
    };
  } catch (e) {
    await close().catch(() => undefined);
    throw e;
  }
}
