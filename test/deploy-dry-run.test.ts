// Both Workers still bundle and bind the way a deploy would: `wrangler deploy --dry-run`
// (esbuild bundle, config validation, binding table; no account, no upload, no network) for
// the control plane (control/wrangler.toml) and the gateway (wrangler.toml).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const WRANGLER = 'node_modules/wrangler/bin/wrangler.js';
const TIMEOUT_MS = 120_000;

let tmp: string;

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'weft-dry-run-'));
});

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  output: string;
}

function dryRun(config: string, outdir: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRANGLER, 'deploy', '--dry-run', '--outdir', outdir, '--config', config], {
      env: {
        ...process.env,
        WRANGLER_SEND_METRICS: 'false',
        CI: 'true',
        // The banner is what checks npm for a newer wrangler; without it nothing leaves the machine.
        WRANGLER_HIDE_BANNER: 'true',
        WRANGLER_LOG_PATH: join(tmp, 'logs'),
        FORCE_COLOR: '0',
        NO_COLOR: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

/** The binding table rows wrangler prints, as `env.NAME (…) | Kind` (column padding collapsed). */
function bindingRows(output: string): string[] {
  return output
    .split('\n')
    .filter((l) => l.trimStart().startsWith('env.'))
    .map((l) => l.trim().replace(/\s{2,}/g, ' | '));
}

describe('wrangler deploy --dry-run', { timeout: TIMEOUT_MS }, () => {
  it('control/wrangler.toml bundles, with the KV namespace, the Durable Object and its vars', async () => {
    const outdir = join(tmp, 'control');
    const run = await dryRun('control/wrangler.toml', outdir);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain('--dry-run: exiting now.');
    const rows = bindingRows(run.output);
    expect(rows, run.output).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^env\.SNAPSHOTS \([0-9a-f]{32}\) \| KV Namespace$/),
        'env.CONTROL_STATE (ControlState) | Durable Object',
        expect.stringMatching(/^env\.MAX_BODY_BYTES \("\d+"\) \| Environment Variable$/),
      ]),
    );
    // Secrets are never in the config, so a dry run must not list them.
    expect(rows.filter((r) => /^env\.(SIGNING_KEYS|CA|ADMIN_TOKENS)\b/.test(r))).toEqual([]);
    expect(statSync(join(outdir, 'index.js')).size).toBeGreaterThan(0);
  });

  it('wrangler.toml (the gateway) bundles, with the snapshot KV, the rate-limit Durable Object and the service binding to control', async () => {
    const outdir = join(tmp, 'gateway');
    const run = await dryRun('wrangler.toml', outdir);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain('--dry-run: exiting now.');
    const rows = bindingRows(run.output);
    expect(rows, run.output).toEqual(
      expect.arrayContaining([
        // The control plane's namespace (control/wrangler.toml binds the same id as SNAPSHOTS).
        expect.stringMatching(/^env\.SNAPSHOTS \([0-9a-f]{32}\) \| KV Namespace$/),
        'env.RATE_LIMITS (GlobalRateLimiter) | Durable Object',
        // A service binding to a named entrypoint: wrangler prints it as `service#entrypoint`.
        'env.CONTROL (weft-control#ControlRpc) | Worker',
        expect.stringMatching(/^env\.SNAPSHOT_CHECK_SECONDS \("\d+"\) \| Environment Variable$/),
      ]),
    );
    // The gateway's one secret (the edge-token key) is never in the config.
    expect(rows.filter((r) => /^env\.GATEWAY_SIGNING_KEY\b/.test(r))).toEqual([]);
    expect(existsSync(join(outdir, 'index.js'))).toBe(true);
  });
});
