// The processes a proxy benchmark starts (nginx, the naive Node proxy, sidecars), each
// recorded by PID the moment it is spawned so that every exit path (normal end, error,
// watchdog, SIGINT) can stop exactly those, and nothing else.
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { connect } from 'node:net';

/** A port free on 127.0.0.1 right now (for programs that cannot listen on port 0 and tell). */
export { freePort } from '../../test/support/basics.ts';

export interface Started {
  name: string;
  pid: number;
  child: ChildProcess;
  /** stdout + stderr so far (last 64 KiB). */
  output(): string;
  /** Resolves when the process has exited. */
  exited: Promise<void>;
  /** Resolves when it has exited AND its output pipes are closed (all output read). */
  closed: Promise<void>;
}

const started: Started[] = [];

/**
 * Spawns `argv` and records it. With `stdoutFile`, stdout goes straight to that file (a
 * sidecar's access log: the sidecar pays its writes, this process does not read them). With
 * `stdin: 'pipe'`, `child.stdin` talks to it; otherwise its stdin is /dev/null.
 */
export function startProcess(name: string, argv: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; stdoutFile?: string; stdin?: 'pipe' } = {}): Started {
  const fd = options.stdoutFile === undefined ? undefined : openSync(options.stdoutFile, 'w');
  let child: ChildProcess;
  try {
    child = spawn(argv[0] as string, argv.slice(1), { stdio: [options.stdin ?? 'ignore', fd ?? 'pipe', 'pipe'], env: options.env ?? process.env, cwd: options.cwd });
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  if (child.pid === undefined) throw new Error(`${name}: could not start ${argv[0]}`);
  let out = '';
  const keep = (c: Buffer) => {
    out = (out + c.toString('utf8')).slice(-65_536);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  child.on('error', () => undefined);
  child.stdin?.on('error', () => undefined); // EPIPE once it exited: its exit is what fails the phase
  const p: Started = { name, pid: child.pid, child, output: () => out, exited, closed };
  started.push(p);
  return p;
}

/** Stops one process by PID: SIGTERM, then SIGKILL after `graceMs`; `extraPids` (its workers) too. */
export async function stopProcess(p: Started, graceMs = 3_000, extraPids: readonly number[] = []): Promise<void> {
  const i = started.indexOf(p);
  if (i >= 0) started.splice(i, 1);
  if (p.child.exitCode === null && p.child.signalCode === null) {
    p.child.kill('SIGTERM');
    const timer = new Promise<'late'>((r) => setTimeout(() => r('late'), graceMs).unref());
    if ((await Promise.race([p.exited.then(() => 'done' as const), timer])) === 'late') {
      p.child.kill('SIGKILL');
      await p.exited;
    }
  }
  killPids(extraPids);
}

/** SIGKILL to each of `pids` still running. */
function killPids(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Stops every process still recorded (the cleanup of every exit path). */
export async function stopAll(extraPids: () => readonly number[] = () => []): Promise<void> {
  const extra = extraPids();
  await Promise.all([...started].map((p) => stopProcess(p, 2_000)));
  killPids(extra);
}

/**
 * The last resort, for `process.on('exit')`: signals every process still recorded, and
 * `extraPids`, synchronously. Something else may end this process before an async cleanup
 * finishes (Miniflare's own SIGINT/SIGTERM hook calls process.exit()); the exit event still
 * runs. nginx masters take their workers with them on SIGTERM; the extras get SIGKILL.
 */
export function signalAllNow(extraPids: readonly number[] = []): void {
  for (const p of started) {
    try {
      if (p.child.exitCode === null && p.child.signalCode === null) process.kill(p.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  killPids(extraPids);
}

/** Waits (bounded) until 127.0.0.1:`port` accepts connections; fails early if `p` exits. */
export async function waitForPort(p: Started, port: number, timeoutMs = 15_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let gone = false;
  void p.exited.then(() => (gone = true));
  for (;;) {
    if (gone) throw new Error(`${p.name} exited before listening on ${port}:\n${p.output().slice(-2000)}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (performance.now() > deadline) throw new Error(`${p.name} did not listen on ${port} within ${timeoutMs / 1000} s:\n${p.output().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits (bounded) for a line of the process's output matching `re`; resolves with the match. */
export async function waitForOutput(p: Started, re: RegExp, timeoutMs = 15_000): Promise<RegExpExecArray> {
  const deadline = performance.now() + timeoutMs;
  let gone = false;
  void p.exited.then(() => (gone = true));
  for (;;) {
    const m = re.exec(p.output());
    if (m) return m;
    if (gone) throw new Error(`${p.name} exited (code ${p.child.exitCode}, signal ${p.child.signalCode}):\n${p.output().slice(-2000)}`);
    if (performance.now() > deadline) throw new Error(`${p.name}: no ${re} in its output within ${timeoutMs / 1000} s:\n${p.output().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
