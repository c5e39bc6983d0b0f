// The gateway Worker really starts under `wrangler dev` (workerd refuses some things the test
// pool allows, such as random values in global scope). With no control plane reachable it
// answers with 503 and the JSON shape (to HEAD, the status alone): it never allows everything.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../fixtures/cli/weft.ts';
import { freePort } from '../support/basics.ts';

describe('gateway under wrangler dev', () => {
  it('starts, and without a snapshot answers 503 with the JSON error shape', async () => {
    const port = await freePort();
    const state = await mkdtemp(join(tmpdir(), 'weft-gw-'));
    const child = spawn(
      process.execPath,
      ['node_modules/wrangler/bin/wrangler.js', 'dev', '--ip', '127.0.0.1', '--port', String(port), '--inspector-port', '0', '--persist-to', state, '--var', 'WEFT_ENV:dev', '--show-interactive-dev-session=false'],
      { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, WRANGLER_SEND_METRICS: 'false', WRANGLER_HIDE_BANNER: 'true', WRANGLER_REGISTRY_PATH: join(state, 'registry') } },
    );
    let log = '';
    child.stdout.on('data', (b: Buffer) => (log += b.toString()));
    child.stderr.on('data', (b: Buffer) => (log += b.toString()));
    try {
      let res: Response | undefined;
      for (let i = 0; i < 150 && !res; i++) {
        if (child.exitCode !== null) throw new Error(`wrangler dev exited (${child.exitCode}):\n${log}`);
        res = await fetch(`http://127.0.0.1:${port}/anything`).catch(() => undefined);
        if (!res) await new Promise((r) => setTimeout(r, 200));
      }
      expect(res, log).toBeDefined();
      expect(res?.status).toBe(503);
      expect(await res?.json()).toEqual({ error: { code: 'no_snapshot', message: 'the gateway has no valid policy snapshot yet' } });
      // HEAD: the status alone, no JSON Content-Type without the JSON (a real client over a real socket).
      const head = await fetch(`http://127.0.0.1:${port}/anything`, { method: 'HEAD' });
      expect([head.status, head.headers.get('content-type'), await head.text()]).toEqual([503, null, '']);
    } finally {
      await new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        if (child.pid) process.kill(child.pid, 'SIGINT');
      });
      await rm(state, { recursive: true, force: true });
    }
  }, 90_000);
});
