// The whole mesh as a user runs it: `weft dev` in a temporary folder (a copy of policies/), on
// free ports, for the e2e suite and the push-to-enforce benchmark. Also the small HTTP client
// they share: any Host header, through a sidecar's outbound listener as an app would call.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:http';
import type { Agent, IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BOOKINFO } from '../../cli/dev/demo-apps.ts';
import { instancePorts } from '../../cli/dev/ports.ts';
import type { InstancePorts } from '../../cli/dev/ports.ts';
import { freeRange, waitFor } from './basics.ts';
import { alive, childPids } from './process-stats.ts';

export { alive };

const REPO = fileURLToPath(new URL('../..', import.meta.url)).replace(/[\\/]$/, '');
const WEFT_BIN = join(REPO, 'bin/weft.js');

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * One HTTP request with any headers (fetch may not set Host); `proxy` sends it in proxy form, as
 * an app does through HTTP_PROXY; `agent: false` opens a connection of its own (no keep-alive).
 */
export function call(url: string, options: { method?: string; headers?: Record<string, string>; proxy?: number; timeoutMs?: number; agent?: Agent | false } = {}): Promise<Reply> {
  const target = new URL(url);
  const via = options.proxy === undefined ? { host: target.hostname, port: Number(target.port), path: `${target.pathname}${target.search}` } : { host: '127.0.0.1', port: options.proxy, path: url };
  return new Promise((resolve, reject) => {
    const req = request({ ...via, method: options.method ?? 'GET', headers: { ...(options.proxy === undefined ? {} : { host: target.host }), ...options.headers }, timeout: options.timeoutMs ?? 10_000, agent: options.agent }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (s: string) => (body += s));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${url}: no answer within ${options.timeoutMs ?? 10_000} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** `roots` and every process below them (children of children too). */
function descendantsOf(roots: number[]): number[] {
  const out: number[] = [];
  const queue = [...roots];
  while (queue.length > 0) {
    const pid = queue.shift() as number;
    out.push(pid);
    queue.push(...childPids(pid));
  }
  return out;
}

export interface ChildInfo {
  pid: number;
  argv: string[];
}

export interface DevMesh {
  /** The temporary folder weft dev runs in (policies/ and .weft/ inside). */
  dir: string;
  gateway: string;
  control: string;
  basePort: number;
  adminToken: string;
  child: ChildProcess;
  /** Milliseconds from the spawn of `weft dev` to its "is up" line. */
  readyMs: number;
  /** Everything weft dev printed so far. */
  output(): string;
  /** The ports of a Bookinfo instance by id (e.g. `productpage-v1`). */
  ports(instanceId: string): InstancePorts;
  /** The processes weft dev started, with their command lines. */
  children(): ChildInfo[];
  /** `roots` and every process below them: wrangler runs workerd as its child. */
  descendants(roots: number[]): number[];
  /** SIGINT and wait for weft dev to exit: its exit code. */
  interrupt(): Promise<number | null>;
  /** Kills whatever is still running (by PID) and removes the folder: for `finally` and afterAll. */
  dispose(): Promise<void>;
}

/** Starts `weft dev` and resolves once it watches policies/ (it printed its curl commands). */
export async function startDevMesh(options: { prefix?: string; readyTimeoutMs?: number; again?: DevMesh; args?: string[] } = {}): Promise<DevMesh> {
  // `args`: more `weft dev` flags (e.g. --otlp).
  // `again`: a second `weft dev` in the folder and on the ports of one that has stopped.
  const dir = options.again?.dir ?? (await mkdtemp(join(tmpdir(), options.prefix ?? 'weft-dev-')));
  if (!options.again) await cp(join(REPO, 'policies'), join(dir, 'policies'), { recursive: true });
  const basePort = options.again?.basePort ?? (await freeRange(BOOKINFO.length * 4 + 2));
  const [gatewayPort, controlPort] = [basePort + BOOKINFO.length * 4, basePort + BOOKINFO.length * 4 + 1];
  const started = Date.now();
  const child = spawn(process.execPath, [WEFT_BIN, 'dev', '--gateway-port', String(gatewayPort), '--control-port', String(controlPort), '--base-port', String(basePort), ...(options.args ?? [])], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (out += s));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const known = new Map<number, ChildInfo>();
  const children = (): ChildInfo[] => {
    if (child.exitCode === null) {
      for (const pid of childPids(child.pid as number)) {
        if (known.has(pid)) continue;
        try {
          known.set(pid, { pid, argv: readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean) });
        } catch {
          // gone meanwhile
        }
      }
    }
    return [...known.values()].filter((c) => alive(c.pid));
  };
  const dispose = async () => {
    const tree = child.exitCode === null ? descendantsOf([child.pid as number]).slice(1) : [];
    for (const pid of new Set([...tree, ...children().map((c) => c.pid)])) if (alive(pid)) process.kill(pid, 'SIGKILL');
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitFor('weft dev to be up', () => out.includes('weft dev is up') || child.exitCode !== null, options.readyTimeoutMs ?? 150_000);
    if (child.exitCode !== null) throw new Error(`weft dev exited with code ${child.exitCode}:\n${out}`);
    const readyMs = Date.now() - started;
    await waitFor('weft dev to watch policies/', () => out.includes('watching policies/'), 10_000);
    children(); // remember every command line while all of them run
    return {
      dir,
      gateway: `http://127.0.0.1:${gatewayPort}`,
      control: `http://127.0.0.1:${controlPort}`,
      basePort,
      adminToken: (await readFile(join(dir, '.weft/control/admin-token'), 'utf8')).trim(),
      child,
      readyMs,
      output: () => out,
      ports: (id) => {
        const index = BOOKINFO.findIndex((b) => b.id === id);
        if (index < 0) throw new Error(`no Bookinfo instance ${id}`);
        return instancePorts(basePort, index);
      },
      children,
      descendants: descendantsOf,
      interrupt: async () => {
        children();
        child.kill('SIGINT');
        return exited;
      },
      dispose,
    };
  } catch (e) {
    await dispose();
    throw new Error(`${(e as Error).message}\n--- weft dev said:\n${out}`);
  }
}
