// `weft control` as a user runs it: a real workerd (wrangler dev) on 127.0.0.1, dev secrets
// made on first run, state persisted across a restart, Ctrl-C stops it, a busy port is a clear
// error. Every process started here is stopped here, by PID.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { policyFileTexts } from '../../cli/policy-files.ts';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { POLICIES, REPO, useTempDir, WEFT, weft } from '../fixtures/cli/weft.ts';
import { freePort, listenOn } from '../support/basics.ts';

let dir: string;
useTempDir('weft-control-', (d) => {
  dir = d;
});

const started: ChildProcess[] = [];
afterEach(async () => {
  for (const child of started.splice(0)) if (child.exitCode === null && child.pid) process.kill(child.pid, 'SIGKILL');
});

/** Starts `weft control` and resolves once it prints that it is ready. */
function startControl(port: number): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, [WEFT, 'control', '--port', String(port), '--state', join(dir, 'state'), '--secrets', join(dir, 'secrets')], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  let out = '';
  return new Promise((resolve, reject) => {
    const onData = (b: Buffer) => {
      out += b.toString();
      if (out.includes('control plane ready')) resolve({ child, output: () => out });
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`weft control exited (${code}) before ready:\n${out}`)));
  });
}

function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    child.once('exit', (code) => resolve(code));
    if (child.pid) process.kill(child.pid, 'SIGINT');
  });
}

describe('weft control', () => {
  it('starts workerd with generated dev secrets, keeps state across a restart, and stops on Ctrl-C', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const first = await startControl(port);
    expect(first.output()).toContain('generated dev secrets');
    const token = (await readFile(join(dir, 'secrets/admin-token'), 'utf8')).trim();
    expect((await stat(join(dir, 'secrets/admin-token'))).mode & 0o777).toBe(0o600);

    const pushed = await fetch(`${url}/v1/snapshot`, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ files: await policyFileTexts(POLICIES) }) });
    expect(pushed.status).toBe(201);
    const { version } = (await pushed.json()) as { version: string };
    const bundle = (await (await fetch(`${url}/v1/bundle`)).json()) as { x509Authorities: string[] };
    expect(await stop(first.child)).toBe(0);

    const second = await startControl(port);
    expect(second.output()).toContain('using dev secrets');
    const res = await fetch(`${url}/v1/snapshot`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('weft-snapshot-version')).toBe(version);
    expect(((await (await fetch(`${url}/v1/bundle`)).json()) as { x509Authorities: string[] }).x509Authorities).toEqual(bundle.x509Authorities);
    expect(await stop(second.child)).toBe(0);
  }, 120_000);

  it('says which port is busy and which flag changes it', async () => {
    const busy = await listenOn();
    const { port } = busy.address() as AddressInfo;
    try {
      const r = await weft(['control', '--port', String(port), '--state', join(dir, 's2'), '--secrets', join(dir, 'x2')]);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(`port ${port} on 127.0.0.1 is already in use; stop what holds it or choose another with --port`);
    } finally {
      busy.close();
    }
  });
});
