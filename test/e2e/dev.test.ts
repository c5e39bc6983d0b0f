// `weft dev` end to end, with real processes: control and the gateway under wrangler dev, the
// Bookinfo apps and their sidecars. Through the gateway, productpage answers with details and
// reviews (ratings from v2/v3), `end-user: jason` gets reviews v2, a bad save pushes nothing,
// and SIGINT stops every process it started and exits 0. A busy port is a clear error.
import { execFileSync, spawn } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { POLICIES, WEFT, weft } from '../fixtures/cli/weft.ts';

function listen(port = 0): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => resolve(s));
  });
}

async function freePort(): Promise<number> {
  const s = await listen();
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

/** The first of `count` consecutive free ports (a few bounded attempts). */
async function freeRange(count: number): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const base = 20000 + Math.floor(Math.random() * 12000); // below the ephemeral range, which workerd draws from
    const held: Server[] = [];
    try {
      for (let i = 0; i < count; i++) held.push(await listen(base + i));
      return base;
    } catch {
      // taken: try another range
    } finally {
      await Promise.all(held.map((s) => new Promise((r) => s.close(r))));
    }
  }
  throw new Error('no free port range');
}

function get(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (s: string) => (body += s));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(what: string, probe: () => boolean, attempts = 600): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (probe()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`gave up waiting for ${what}`);
}

interface Product {
  service: string;
  details: { service: string };
  reviews: { service: string; version: string; ratings?: { service: string } };
}

describe('weft dev', () => {
  it('brings up the mesh, routes Bookinfo through the gateway, and stops everything on SIGINT', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'weft-dev-'));
    await cp(POLICIES, join(dir, 'policies'), { recursive: true });
    const basePort = await freeRange(26);
    const [gatewayPort, controlPort] = [basePort + 24, basePort + 25];
    const child = spawn(process.execPath, [WEFT, 'dev', '--gateway-port', String(gatewayPort), '--control-port', String(controlPort), '--base-port', String(basePort)], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (out += s));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const gateway = `http://127.0.0.1:${gatewayPort}`;
    let children: number[] = [];
    try {
      await until('weft dev to be up', () => out.includes('watching policies/') || child.exitCode !== null);
      expect(child.exitCode, out).toBeNull();
      expect(out).toContain(`Gateway: ${gateway}`);
      expect(out).toContain('x-api-key: demo-acme-key');
      expect(out).toMatch(/authorization: Bearer ey/);

      // Everybody: details, and reviews v1 (no ratings) or the v3 canary (with ratings).
      for (let i = 0; i < 5; i++) {
        const res = await get(`${gateway}/productpage`, { host: 'bookinfo.example.com' });
        expect(res.status, res.body).toBe(200);
        const page = JSON.parse(res.body) as Product;
        expect(page.service).toBe('productpage');
        expect(page.details.service).toBe('details');
        expect(page.reviews.service).toBe('reviews');
        expect(['v1', 'v3']).toContain(page.reviews.version);
        if (page.reviews.version === 'v3') expect(page.reviews.ratings?.service).toBe('ratings');
      }
      // jason: reviews v2, which calls ratings.
      for (let i = 0; i < 3; i++) {
        const res = await get(`${gateway}/productpage`, { host: 'bookinfo.example.com', 'end-user': 'jason' });
        expect(res.status, res.body).toBe(200);
        const page = JSON.parse(res.body) as Product;
        expect(page.reviews.version).toBe('v2');
        expect(page.reviews.ratings?.service).toBe('ratings');
      }
      // The edge API with the demo API key.
      const api = await get(`${gateway}/v1/users/42`, { host: 'api.example.com', 'x-api-key': 'demo-acme-key' });
      expect(api.status, api.body).toBe(200);
      expect(JSON.parse(api.body)).toMatchObject({ service: 'api', route: 'users' });

      // A bad save: the errors, and nothing pushed. A good one: the diff, then every node applies it.
      const file = join(dir, 'policies/bookinfo/routes.yaml');
      const good = await readFile(file, 'utf8');
      const before = out.length;
      await writeFile(file, good.replace('timeout: 1s', 'timeout: soon'));
      await until('the validation errors', () => out.slice(before).includes('nothing was pushed'));
      expect(out.slice(before)).toMatch(/routes\.yaml:\d+:\d+/);
      const fixed = out.length;
      await writeFile(file, good.replace('timeout: 1s', 'timeout: 2s'));
      await until('the push and its convergence', () => /converged: \d+ of \d+ live nodes/.test(out.slice(fixed)));
      const pushed = out.slice(fixed);
      expect(pushed).toContain('~ Route default/details');
      expect(pushed).toMatch(/✓ gateway-\S+\s+gateway/);
      expect(pushed).toMatch(/✓ productpage-v1\s+sidecar/);

      children = execFileSync('ps', ['-o', 'pid=', '--ppid', String(child.pid)], { encoding: 'utf8' })
        .split('\n')
        .map((s) => Number(s.trim()))
        .filter((n) => n > 0);
      expect(children.length).toBeGreaterThanOrEqual(14); // control, gateway, 6 apps, 6 sidecars, 2 api echoes
      process.kill(child.pid!, 'SIGINT');
      expect(await exited).toBe(0);
      expect(out).toContain('stopped every process weft dev started');
      expect(children.filter(alive)).toEqual([]);
      expect(await get(`${gateway}/productpage`, { host: 'bookinfo.example.com' }).catch(() => 'refused')).toBe('refused');
    } finally {
      for (const pid of [...children, child.pid!]) if (alive(pid)) process.kill(pid, 'SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  }, 180_000);

  it('names the busy port and the flag that moves it, and starts nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'weft-dev-busy-'));
    const busy = await listen();
    try {
      const port = (busy.address() as AddressInfo).port;
      const res = await weft(['dev', '--gateway-port', String(port), '--control-port', String(await freePort()), '--base-port', String(await freeRange(24))], { cwd: dir });
      expect(res.status).not.toBe(0);
      expect(res.stderr).toContain(`port ${port} on 127.0.0.1 is already in use`);
      expect(res.stderr).toContain('--gateway-port');
    } finally {
      await new Promise((r) => busy.close(r));
      await rm(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
