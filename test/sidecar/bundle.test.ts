// The shipped sidecar is the esbuild bundle (dist/weft-sidecar.mjs): it must leave out what
// the sidecar never runs (zod, yaml: the policy compiler's; undici's index, fetch and HTTP/2
// client: memory), keep tracing in a lazily loaded chunk, and run on its own: --help, a bad
// flag (exit 2), and a real start against control that reaches /ready, proxies a request
// through its own upstream pools, and stops cleanly on SIGTERM.
import { runNode } from '../fixtures/cli/weft.ts';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSidecarBundle, UNDICI_SHIM_EXPORTS } from '../../sidecar/build.ts';
import { basicPolicy, startControl } from '../support/control-harness.ts';
import type { ControlHarness } from '../support/control-harness.ts';
import { startUpstream } from '../support/upstream-server.ts';
import type { UpstreamServer } from '../support/upstream-server.ts';
import { readySidecar, stopProcess, until } from './process-support.ts';

let outdir: string;
let entry: string;
let metafile: Metafile;

beforeAll(async () => {
  outdir = mkdtempSync(join(tmpdir(), 'weft-sidecar-bundle-'));
  ({ entry, metafile } = await buildSidecarBundle(outdir));
}, 120_000);

afterAll(() => {
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

/** The node_modules packages bundled into one output file. */
function packagesIn(output: Metafile['outputs'][string]): Set<string> {
  const out = new Set<string>();
  for (const input of Object.keys(output.inputs)) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (m?.[1]) out.add(m[1]);
  }
  return out;
}

/** `sidecar/main.ts <- … <- first file under \`target\``, by breadth-first search over the metafile's imports. */
function importChain(target: string): string {
  const from = new Map<string, string>();
  const queue = ['sidecar/main.ts'];
  while (queue.length > 0) {
    const file = queue.shift() as string;
    if (file.includes(target)) {
      const chain = [file];
      for (let f = from.get(file); f; f = from.get(f)) chain.push(f);
      return chain.reverse().join(' -> ');
    }
    for (const i of metafile.inputs[file]?.imports ?? [])
      if (!from.has(i.path) && i.path !== 'sidecar/main.ts') {
        from.set(i.path, file);
        queue.push(i.path);
      }
  }
  return `${target} (no chain found)`;
}

function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return runNode([entry, ...args], { env: { PATH: process.env.PATH, ...env } });
}

/** A GET through the sidecar's outbound listener as the app makes it (`Host: reviews`); status and the app's x-upstream header. */
function viaOutbound(port: number, path: string): Promise<{ status: number; upstream: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host: 'reviews' }, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, upstream: res.headers['x-upstream'] as string | undefined }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('sidecar bundle', () => {
  it('has neither zod nor yaml in any output', () => {
    const all = new Set<string>();
    for (const output of Object.values(metafile.outputs)) for (const p of packagesIn(output)) all.add(p);
    // On failure, the import chain that pulls the package in, from sidecar/main.ts.
    expect(all.has('zod') ? importChain('node_modules/zod/') : null).toBeNull();
    expect(all.has('yaml') ? importChain('node_modules/yaml/') : null).toBeNull();
    // and what it must have
    for (const p of ['undici', 'prom-client', 'jose']) expect(all.has(p)).toBe(true);
  });

  it("bundles only undici's HTTP/1.1 dispatchers: not its index, fetch, WebSocket or HTTP/2 client", () => {
    const undici = Object.keys(metafile.inputs).filter((f) => f.includes('node_modules/undici/'));
    expect(undici).toContain('node_modules/undici/lib/dispatcher/pool.js');
    expect(undici).toContain('node_modules/undici/lib/dispatcher/agent.js');
    expect(undici).toContain('node_modules/undici/lib/dispatcher/client.js');
    expect(undici).not.toContain('node_modules/undici/index.js');
    // Of undici's web stack, only the stub of FormData bodies is left.
    expect(undici.filter((f) => f.includes('/lib/web/'))).toEqual(['node_modules/undici/lib/web/fetch/body.js']);
    for (const stubbed of ['node_modules/undici/lib/dispatcher/client-h2.js', 'node_modules/undici/lib/web/fetch/body.js']) {
      expect(metafile.inputs[stubbed]?.imports ?? null, stubbed).toEqual([]);
      expect(metafile.inputs[stubbed]?.bytes ?? 0, stubbed).toBeLessThan(400);
    }
    // HTTP/2 (the ports' servers, the upstream pools of sidecar/proxy/h2-pool.ts) is node:http2's.
    const builtins = Object.keys(metafile.inputs).filter((f) => f.startsWith('builtin-cjs:'));
    expect(builtins.filter((b) => /http2/.test(b))).toEqual(['builtin-cjs:node:http2']);
  });

  it('exports from its undici shim every name the sidecar imports from undici', () => {
    const names = new Set<string>();
    const dir = join(process.cwd(), 'sidecar');
    for (const file of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
      if (!file.endsWith('.ts')) continue;
      const text = readFileSync(join(dir, file), 'utf8');
      for (const m of text.matchAll(/^import\s+(type\s+)?\{([^}]*)\}\s+from\s+'undici';/gm)) {
        if (m[1]) continue;
        for (const spec of (m[2] as string).split(',').map((x) => x.trim()).filter(Boolean)) if (!spec.startsWith('type ')) names.add(spec.split(/\s+as\s+/)[0] as string);
      }
      expect(text, `${file} imports undici in a form this test does not read`).not.toMatch(/import\s+(?:\w+|\*\s+as\s+\w+)\s*(?:,[^;]*)?from\s+'undici'/);
    }
    expect(names.size).toBeGreaterThan(0);
    expect([...names].filter((n) => !(UNDICI_SHIM_EXPORTS as readonly string[]).includes(n))).toEqual([]);
  });

  it('keeps the tracing SDK and OTLP exporter out of the entry file (loaded only when tracing is on)', () => {
    const main = Object.entries(metafile.outputs).find(([file]) => file.endsWith('weft-sidecar.mjs'));
    expect(main).toBeDefined();
    const inMain = packagesIn(main?.[1] as Metafile['outputs'][string]);
    for (const p of ['@opentelemetry/sdk-trace', '@opentelemetry/exporter-trace-otlp-http', '@opentelemetry/otlp-exporter-base', '@opentelemetry/resources']) expect(inMain.has(p)).toBe(false);
    const lazily = new Set<string>();
    for (const [file, output] of Object.entries(metafile.outputs)) if (file !== main?.[0]) for (const p of packagesIn(output)) lazily.add(p);
    expect(lazily.has('@opentelemetry/sdk-trace')).toBe(true);
  });

  it('runs on its own: --help exits 0, a bad flag exits 2', async () => {
    const help = await run(['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('--service <value>');
    const bad = await run(['--service', 'reviews', '--app-port', '9080', '--log-level', 'loud']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--log-level must be one of debug, info, warn, error, got "loud"');
  });

  describe('against the real control plane', () => {
    let control: ControlHarness;
    let app: UpstreamServer;
    let stateDir: string;
    let child: ChildProcess | undefined;

    beforeAll(async () => {
      control = await startControl();
      await control.push(basicPolicy());
      app = await startUpstream('reviews');
      stateDir = mkdtempSync(join(tmpdir(), 'weft-sidecar-bundle-state-'));
    }, 60_000);

    afterAll(async () => {
      if (child) await stopProcess(child);
      await control?.close();
      await app?.close();
      if (stateDir) rmSync(stateDir, { recursive: true, force: true });
    });

    it("starts, becomes ready, proxies through its upstream pools, exits 0 on SIGTERM, and never loads Node's internal fetch stack", async () => {
      // Node's global fetch/Headers/WebSocket live in an internal copy of undici that costs
      // about 10 MB of RSS to load; the sidecar has its own undici and must not wake that one.
      const probe = join(outdir, 'internal-undici-probe.cjs');
      writeFileSync(probe, "process.on('exit', () => process.stderr.write('internal undici loaded: ' + process.moduleLoadList.some((m) => m.includes('internal/deps/undici')) + '\\n'));\n");
      const started = await readySidecar([process.execPath, '--require', probe, entry], {
        service: 'reviews',
        'app-port': String(app.port),
        control: control.url,
        'join-token': await control.joinToken('reviews'),
        'state-dir': stateDir,
        'instance-id': 'reviews-bundle-1',
      });
      child = started.child;
      // outbound (Host: reviews) → its own registered inbound → the app: both hops on the
      // bundle's undici pools; retried until control lists the endpoint.
      const answer = await until('a 200 from the app through the sidecar', async () => {
        const r = await viaOutbound(started.ports.outbound, '/through-the-bundle');
        return r.status === 200 ? r : undefined;
      });
      expect(answer.upstream).toBe('reviews');
      child.kill('SIGTERM');
      const code = await started.exited;
      child = undefined;
      expect(code).toBe(0);
      expect(started.stderr()).toContain('internal undici loaded: false');
    });
  });
});
