// Runs the control Worker locally (workerd via `wrangler dev`) with state persisted under
// .weft/: dev secrets are generated on first run and reused after, so a restart keeps the same
// CA, keys, admin token and snapshots.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CliError } from '../exit-codes.ts';
import { generateControlSecrets } from './dev-secrets.ts';
import type { DevCredentials } from './dev-secrets.ts';

export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const WRANGLER = join(PACKAGE_ROOT, 'node_modules/wrangler/bin/wrangler.js');
const CONTROL_CONFIG = join(PACKAGE_ROOT, 'control/wrangler.toml');

export interface LocalControlOptions {
  port: number;
  /** Durable Object and KV state. */
  stateDir: string;
  /** Secrets and tokens. */
  secretsDir: string;
  /** The environment wrangler runs in (default: this process's). */
  env?: NodeJS.ProcessEnv;
}

async function writePrivate(file: string, text: string): Promise<void> {
  await writeFile(file, text, { mode: 0o600 });
  await chmod(file, 0o600);
}

/** Reads the dev secrets, or makes them on first run. */
export async function devCredentials(secretsDir: string): Promise<{ credentials: DevCredentials; created: boolean }> {
  const file = join(secretsDir, 'secrets.json');
  try {
    return { credentials: JSON.parse(await readFile(file, 'utf8')) as DevCredentials, created: false };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new CliError(`cannot read ${file}: ${(e as Error).message}`);
  }
  const credentials = await generateControlSecrets();
  await mkdir(secretsDir, { recursive: true, mode: 0o700 });
  await writePrivate(file, `${JSON.stringify(credentials, null, 2)}\n`);
  await writePrivate(join(secretsDir, 'admin-token'), `${credentials.adminToken}\n`);
  await writePrivate(join(secretsDir, 'read-token'), `${credentials.readToken}\n`);
  // wrangler's --env-file is dotenv: single quotes keep the JSON literal.
  await writePrivate(join(secretsDir, 'dev.vars'), Object.entries(credentials.secrets).map(([k, v]) => `${k}='${v}'`).join('\n') + '\n');
  return { credentials, created: true };
}

/** Fails with a clear message when the port is taken, before starting anything. */
export function assertPortFree(port: number, flag: string): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const probe = createServer();
    probe.once('error', (e: NodeJS.ErrnoException) =>
      reject(new CliError(e.code === 'EADDRINUSE' ? `port ${port} on 127.0.0.1 is already in use; stop what holds it or choose another with ${flag}` : `cannot listen on 127.0.0.1:${port}: ${e.message}`)),
    );
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolvePromise()));
  });
}

export function startLocalControl(options: LocalControlOptions): ChildProcess {
  return spawn(
    process.execPath,
    [
      WRANGLER,
      'dev',
      '--config', CONTROL_CONFIG,
      '--ip', '127.0.0.1',
      '--port', String(options.port),
      '--persist-to', resolve(options.stateDir),
      '--env-file', resolve(options.secretsDir, 'dev.vars'),
      '--var', 'WEFT_ENV:dev',
      '--inspector-port', '0',
      '--show-interactive-dev-session=false',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...(options.env ?? process.env), WRANGLER_SEND_METRICS: 'false' } },
  );
}

/** Polls /healthz (bounded) until the control plane answers. */
export async function waitForControl(url: string, child: ChildProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new CliError(`the control plane exited with code ${child.exitCode} before it was ready`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new CliError(`the control plane did not answer on ${url} within ${timeoutMs / 1000}s`);
}
