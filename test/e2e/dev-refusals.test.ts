// What makes `weft dev` refuse to start, each with one clear error and nothing started: a port
// already taken (the error names the port and the flag that moves it), policies/ that do not
// validate (every error as file:line:col), and an --otlp that is not a collector's http(s) URL.
import type { AddressInfo } from 'node:net';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { POLICIES, weft } from '../fixtures/cli/weft.ts';
import { freeRange, listenOn } from '../support/basics.ts';

describe('weft dev refuses to start', () => {
  it('names the busy port and the flag that moves it, and starts nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'weft-dev-busy-'));
    const busy = await listenOn();
    try {
      const port = (busy.address() as AddressInfo).port;
      const base = await freeRange(25);
      const res = await weft(['dev', '--gateway-port', String(port), '--control-port', String(base + 24), '--base-port', String(base)], { cwd: dir });
      expect(res.status).not.toBe(0);
      expect(res.stderr).toContain(`port ${port} on 127.0.0.1 is already in use`);
      expect(res.stderr).toContain('--gateway-port');
      expect(res.stdout).not.toContain('starting control');
    } finally {
      await new Promise((r) => busy.close(r));
      await rm(dir, { recursive: true, force: true });
    }
  }, 30_000);

  it('with policies that do not validate: every error as file:line:col, and nothing started or generated', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'weft-dev-invalid-'));
    try {
      await cp(POLICIES, join(dir, 'policies'), { recursive: true });
      const routes = join(dir, 'policies/bookinfo/routes.yaml');
      await writeFile(routes, (await readFile(routes, 'utf8')).replace('subset: v3, weight: 10', 'subset: v4, weight: 10'));
      const base = await freeRange(26);
      const res = await weft(['dev', '--gateway-port', String(base + 24), '--control-port', String(base + 25), '--base-port', String(base)], { cwd: dir });
      expect(res.status).toBe(1);
      expect(res.stderr).toMatch(/policies\/bookinfo\/routes\.yaml:\d+:\d+: .*has no subset "v4"/);
      expect(res.stderr).toContain('1 error in policies/; fix it and run weft dev again (nothing was started)');
      expect(res.stdout).not.toContain('starting control');
      expect(existsSync(join(dir, '.weft/control'))).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 30_000);

  it('with an --otlp that is not an http(s) collector URL: a usage error naming the flag, and nothing started', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'weft-dev-otlp-'));
    try {
      for (const bad of ['localhost:4318', 'grpc://127.0.0.1:4317', 'http://user:secret@127.0.0.1:4318', 'http://127.0.0.1:4318/?x=1']) {
        const res = await weft(['dev', '--otlp', bad], { cwd: dir });
        expect(res.status, bad).toBe(2);
        expect(res.stderr).toContain('--otlp must be the http(s) base URL of an OTLP/HTTP collector');
        expect(res.stderr).toContain('nothing was started');
        expect(res.stdout).not.toContain('starting control');
      }
      expect(existsSync(join(dir, '.weft'))).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
