// The shipped sidecar is the esbuild bundle (dist/weft-sidecar.mjs): it must leave out what
// the sidecar never runs (zod, yaml: the policy compiler's), keep tracing in a lazily loaded
// chunk, and run on its own: --help, a bad flag (exit 2), and a real start against control
// that reaches /ready and stops cleanly on SIGTERM.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSidecarBundle } from '../../sidecar/build.ts';
import { basicPolicy, startControl } from '../support/control-harness.ts';
import type { ControlHarness } from '../support/control-harness.ts';
import { readySidecar, stopProcess } from './process-support.ts';

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
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [entry, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
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
    let stateDir: string;
    let child: ChildProcess | undefined;

    beforeAll(async () => {
      control = await startControl();
      await control.push(basicPolicy());
      stateDir = mkdtempSync(join(tmpdir(), 'weft-sidecar-bundle-state-'));
    }, 60_000);

    afterAll(async () => {
      if (child) await stopProcess(child);
      await control?.close();
      if (stateDir) rmSync(stateDir, { recursive: true, force: true });
    });

    it("starts, becomes ready, exits 0 on SIGTERM, and never loads Node's internal fetch stack", async () => {
      // Node's global fetch/Headers/WebSocket live in an internal copy of undici that costs
      // about 10 MB of RSS to load; the sidecar has its own undici and must not wake that one.
      const probe = join(outdir, 'internal-undici-probe.cjs');
      writeFileSync(probe, "process.on('exit', () => process.stderr.write('internal undici loaded: ' + process.moduleLoadList.some((m) => m.includes('internal/deps/undici')) + '\\n'));\n");
      const started = await readySidecar([process.execPath, '--require', probe, entry], {
        service: 'reviews',
        'app-port': '9',
        control: control.url,
        'join-token': await control.joinToken('reviews'),
        'state-dir': stateDir,
        'instance-id': 'reviews-bundle-1',
      });
      child = started.child;
      child.kill('SIGTERM');
      const code = await started.exited;
      child = undefined;
      expect(code).toBe(0);
      expect(started.stderr()).toContain('internal undici loaded: false');
    });
  });
});
