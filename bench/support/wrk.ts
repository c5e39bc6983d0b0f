// wrk, the HTTP load generator, as the benchmarks drive it: installed from the Debian package
// when missing (with nginx, the other tool the proxy benchmarks need), pinned to a CPU with
// taskset, and read back through a Lua `done` hook that prints exact figures as JSON (wrk's
// own text rounds percentiles to two decimals of a unit that changes with the value).
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDebianCommands, which } from '../../test/support/debian-packages.ts';
import { startProcess, stopProcess } from './sidecar-processes.ts';

export interface Tools {
  wrk: string;
  nginx: string;
  /** null when taskset is missing: everything then runs unpinned. */
  taskset: string | null;
  /** What was installed in this run (empty when both were there). */
  installed: string[];
}

/** Finds wrk and nginx, installing the Debian packages when either is missing (test/support/debian-packages.ts). */
export function ensureTools(log: (line: string) => void): Tools {
  const { paths, installed } = ensureDebianCommands({ wrk: 'wrk', nginx: 'nginx' }, log);
  return { wrk: paths.wrk as string, nginx: paths.nginx as string, taskset: which('taskset'), installed };
}

/** `argv` prefixed with `taskset -c <cpus>` when there is a CPU list and taskset. */
export function pinned(tools: Pick<Tools, 'taskset'>, cpus: string | undefined, argv: string[]): string[] {
  return cpus !== undefined && tools.taskset ? [tools.taskset, '-c', cpus, ...argv] : argv;
}

/**
 * Moves every thread of each running process to `cpus` (`taskset -a -p -c`); a no-op without
 * taskset. Threads made later inherit it.
 */
export function repin(tools: Pick<Tools, 'taskset'>, pids: readonly number[], cpus: string | undefined): void {
  if (cpus === undefined || !tools.taskset) return;
  for (const pid of pids) {
    const r = spawnSync(tools.taskset, ['-a', '-p', '-c', cpus, String(pid)], { encoding: 'utf8', timeout: 10_000 });
    if (r.status !== 0) throw new Error(`taskset -a -p -c ${cpus} ${pid}: ${r.stderr || r.error}`);
  }
}

const DONE_HOOK = `
done = function(summary, latency, requests)
  io.write(string.format(
    'WRK_JSON {"requests":%.0f,"durationUs":%.0f,"bytes":%.0f,"connect":%.0f,"read":%.0f,"write":%.0f,"status":%.0f,"timeout":%.0f,"p50":%.0f,"p90":%.0f,"p99":%.0f,"p999":%.0f,"meanUs":%.3f,"maxUs":%.0f}\\n',
    summary.requests, summary.duration, summary.bytes,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status, summary.errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9),
    latency.mean, latency.max))
end
`;

export interface WrkResult {
  requests: number;
  seconds: number;
  rps: number;
  /** Latency percentiles and mean, in microseconds (wrk's HdrHistogram). */
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  mean: number;
  max: number;
  /** Socket errors + non-2xx/3xx answers; a phase with any is reported as failed. */
  errors: { connect: number; read: number; write: number; timeout: number; status: number };
}

export interface WrkOptions {
  url: string;
  threads: number;
  connections: number;
  durationS: number;
  /** CPU list for taskset (`0`, `0,1`). */
  cpus?: string;
  headers?: Record<string, string>;
  /** Folder for the Lua hook file. */
  dir: string;
}

/** Runs wrk once, bounded by its own -d and a kill at -d + 15 s; resolves with its figures. */
export async function runWrk(tools: Tools, opts: WrkOptions): Promise<WrkResult> {
  const script = join(opts.dir, 'wrk-done.lua');
  if (!existsSync(script)) writeFileSync(script, DONE_HOOK);
  const argv = pinned(tools, opts.cpus, [
    tools.wrk,
    `-t${opts.threads}`,
    `-c${opts.connections}`,
    `-d${opts.durationS}s`,
    '--timeout', '2s',
    '-s', script,
    ...Object.entries(opts.headers ?? {}).flatMap(([k, v]) => ['-H', `${k}: ${v}`]),
    opts.url,
  ]);
  // Recorded like every other process, so that any way out of the bench stops it too.
  const child = startProcess('wrk', argv);
  const kill = setTimeout(() => child.child.kill('SIGKILL'), (opts.durationS + 15) * 1000);
  await child.closed;
  clearTimeout(kill);
  await stopProcess(child); // already exited: only forgets it
  const out = child.output();
  const code = child.child.exitCode;
  const line = /^WRK_JSON (.*)$/m.exec(out);
  if (code !== 0 || !line) throw new Error(`wrk ${opts.url} (-c${opts.connections}) exited ${code ?? child.child.signalCode}:\n${out.slice(-1500)}`);
  const j = JSON.parse(line[1] as string) as Record<string, number>;
  const seconds = (j.durationUs as number) / 1e6;
  return {
    requests: j.requests as number,
    seconds,
    rps: (j.requests as number) / seconds,
    p50: j.p50 as number,
    p90: j.p90 as number,
    p99: j.p99 as number,
    p999: j.p999 as number,
    mean: j.meanUs as number,
    max: j.maxUs as number,
    errors: { connect: j.connect as number, read: j.read as number, write: j.write as number, timeout: j.timeout as number, status: j.status as number },
  };
}

/** The errors of a run in one phrase, or '' when there were none. */
export function wrkErrors(r: WrkResult): string {
  const parts = Object.entries(r.errors).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k === 'status' ? 'non-2xx/3xx' : `${k} error(s)`}`);
  return parts.join(', ');
}

/** `wrk -v` / `nginx -v` first line, for the report. */
export function toolVersions(tools: Tools): { wrk: string; nginx: string } {
  const first = (cmd: string, args: string[]) => {
    const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 10_000 });
    return `${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n')[0]?.trim() ?? '?';
  };
  return { wrk: first(tools.wrk, ['-v']), nginx: first(tools.nginx, ['-v']) };
}
