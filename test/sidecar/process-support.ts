// Test support: the real sidecar as a child process. Its listeners take free ports (port 0);
// the "sidecar started" log line on stderr says which, and /ready says when it can serve.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { waitFor } from '../support/basics.ts';

export interface RunningSidecar {
  child: ChildProcess;
  ports: { inbound: number; outbound: number; admin: number };
  /** Resolves with the exit code (or 128 + signal number when killed by a signal). */
  exited: Promise<number | null>;
  stderr(): string;
  stdout(): string;
}

/** Spawns `command` (e.g. `[process.execPath, 'sidecar/main.ts']`) with `--flag value` pairs; resolves once it has started. */
export function spawnSidecar(command: string[], flags: Record<string, string>, env: NodeJS.ProcessEnv = {}): { child: ChildProcess; started: Promise<RunningSidecar>; exited: Promise<number | null> } {
  const args = Object.entries({ 'inbound-port': '0', 'outbound-port': '0', 'admin-port': '0', 'drain-seconds': '20', ...flags }).flatMap(([k, v]) => [`--${k}`, v]);
  const [bin, ...pre] = command as [string, ...string[]];
  const child = spawn(bin, [...pre, ...args], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } });
  let stdout = '';
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 + ({ SIGINT: 2, SIGKILL: 9, SIGTERM: 15 } as Record<string, number>)[signal]! : null))));
  const started = new Promise<RunningSidecar>((resolve, reject) => {
    child.stdout?.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr?.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
      for (const line of stderr.split('\n')) {
        if (!line.startsWith('{')) continue;
        try {
          const e = JSON.parse(line) as { msg?: string; ports?: RunningSidecar['ports'] };
          if (e.msg === 'sidecar started' && e.ports) resolve({ child, ports: e.ports, exited, stderr: () => stderr, stdout: () => stdout });
        } catch {
          // a partial line; the rest comes with the next chunk
        }
      }
    });
    void exited.then((code) => reject(new Error(`sidecar exited with ${code} before it started:\n${stderr}`)));
  });
  return { child, started, exited };
}

/** Polls `probe` until it answers (basics.ts waitFor), for about `attempts` × 100 ms. */
export function until<T>(what: string, probe: () => Promise<T | undefined | false>, attempts = 300): Promise<T> {
  return waitFor(what, probe, attempts * 100);
}

/** Spawns the sidecar and waits until its /ready answers 200. */
export async function readySidecar(command: string[], flags: Record<string, string>, env: NodeJS.ProcessEnv = {}): Promise<RunningSidecar> {
  const s = spawnSidecar(command, flags, env);
  let running: RunningSidecar;
  try {
    running = await s.started;
    await until('sidecar /ready', async () => ((await fetch(`http://127.0.0.1:${running.ports.admin}/ready`)).status === 200 ? true : undefined));
  } catch (e) {
    await stopProcess(s.child);
    throw e;
  }
  return running;
}

/** Kills the process by its PID if it still runs, and waits for it to be gone. */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  process.kill(child.pid, 'SIGKILL');
  await gone;
}
