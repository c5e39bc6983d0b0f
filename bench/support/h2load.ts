// h2load (Debian nghttp2-client, installed when missing), the HTTP/2 load generator, as the
// benchmarks drive it: cleartext HTTP/2 with prior knowledge, a counted run (-n: every request
// answered before h2load closes its connections) or a timed one (-D: it closes with requests
// still in flight), bounded by a kill either way, pinned with taskset, figures read from its summary and latency percentiles from its per-request
// log (--log-file; its summary has only min/max/mean). A gRPC unary call is a POST of a
// pre-framed protobuf message (-d) with `content-type: application/grpc` and `te: trailers`.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDebianCommands } from '../../test/support/debian-packages.ts';
import { quantile } from './run-lanes.ts';
import { startProcess, stopProcess } from './sidecar-processes.ts';
import { pinned } from './wrk.ts';
import type { Tools } from './wrk.ts';

/** The h2load binary, installing nghttp2-client when it is missing. */
export function ensureH2load(log: (line: string) => void): { path: string; installed: string[] } {
  const { paths, installed } = ensureDebianCommands({ h2load: 'nghttp2-client' }, log);
  return { path: paths.h2load as string, installed };
}

export interface H2loadOptions {
  h2load: string;
  url: string;
  connections: number;
  /** Concurrent streams per connection (-m). */
  streams: number;
  /** A counted run of this many requests (-n), or a timed one of `durationS` (-D). */
  requests?: number;
  durationS?: number;
  /** Seconds after which h2load is killed and the run fails (default: durationS + 15). */
  capS?: number;
  /** CPU list for taskset. */
  cpus?: string;
  /** `Host` is sent as `:authority`. */
  headers?: Record<string, string>;
  /** The request body (makes it a POST). */
  dataFile?: string;
  /** Read per-request latencies (costs a line per request: for latency phases). */
  latency?: boolean;
  /** Folder for the log file. */
  dir: string;
}

export interface H2loadResult {
  /** Requests answered (any status) within the duration. */
  done: number;
  /** Requests sent (done + those still in flight when the duration ended). */
  started: number;
  /** 2xx/3xx answers. */
  succeeded: number;
  failed: number;
  errored: number;
  timeout: number;
  status2xx: number;
  seconds: number;
  rps: number;
  /** Response body bytes (DATA frames) over all requests. */
  dataBytes: number;
  /** Latency percentiles in microseconds; NaN without `latency`. */
  p50: number;
  p99: number;
}

const num = (re: RegExp, out: string, what: string): number => {
  const m = re.exec(out);
  if (!m) throw new Error(`h2load printed no ${what}:\n${out.slice(-1500)}`);
  return Number(m[1]);
};

/** Runs h2load once, bounded by a kill at `capS`; resolves with its figures. */
export async function runH2load(tools: Pick<Tools, 'taskset'>, o: H2loadOptions): Promise<H2loadResult> {
  if ((o.requests === undefined) === (o.durationS === undefined)) throw new Error('runH2load: give requests or durationS, not both');
  const capS = o.capS ?? (o.durationS ?? 0) + 15;
  const logFile = join(o.dir, 'h2load-latency.tsv');
  rmSync(logFile, { force: true });
  const headers = Object.entries(o.headers ?? {}).flatMap(([k, v]) => ['-H', `${k.toLowerCase() === 'host' ? ':authority' : k}: ${v}`]);
  const argv = pinned(tools, o.cpus, [
    o.h2load,
    '-t1',
    `-c${o.connections}`,
    `-m${o.streams}`,
    ...(o.requests !== undefined ? ['-n', String(o.requests)] : ['-D', String(o.durationS)]),
    ...(o.dataFile ? ['-d', o.dataFile] : []),
    ...(o.latency ? [`--log-file=${logFile}`] : []),
    ...headers,
    o.url,
  ]);
  const child = startProcess('h2load', argv);
  let killed = false;
  const kill = setTimeout(() => ((killed = true), child.child.kill('SIGKILL')), capS * 1000);
  await child.closed;
  clearTimeout(kill);
  await stopProcess(child); // already exited: only forgets it
  const out = child.output();
  if (killed) throw new Error(`h2load ${o.url} (-c${o.connections} -m${o.streams}${o.requests !== undefined ? ` -n${o.requests}` : ''}) had not finished after ${capS} s: the lane stopped answering`);
  if (child.child.exitCode !== 0) throw new Error(`h2load ${o.url} (-c${o.connections} -m${o.streams}) exited ${child.child.exitCode ?? child.child.signalCode}:\n${out.slice(-1500)}`);
  const finished = /finished in ([0-9.]+)(ms|s),/.exec(out);
  if (!finished) throw new Error(`h2load printed no "finished in":\n${out.slice(-1500)}`);
  const seconds = Number(finished[1]) / (finished[2] === 'ms' ? 1000 : 1);
  const done = num(/requests: \d+ total, \d+ started, (\d+) done/, out, 'request counts');
  let p50 = NaN;
  let p99 = NaN;
  if (o.latency) {
    const us = readFileSync(logFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => Number(l.split('\t')[2]))
      .sort((a, b) => a - b);
    p50 = quantile(us, 0.5);
    p99 = quantile(us, 0.99);
  }
  return {
    done,
    started: num(/requests: \d+ total, (\d+) started/, out, 'request counts'),
    succeeded: num(/(\d+) succeeded/, out, 'succeeded count'),
    failed: num(/(\d+) failed/, out, 'failed count'),
    errored: num(/(\d+) errored/, out, 'errored count'),
    timeout: num(/(\d+) timeout/, out, 'timeout count'),
    status2xx: num(/status codes: (\d+) 2xx/, out, 'status codes'),
    seconds,
    rps: done / seconds,
    dataBytes: num(/\((\d+)\) data/, out, 'traffic'),
    p50,
    p99,
  };
}

/** The failures of a run in one phrase, or '' when every answered request was a 2xx. */
export function h2loadErrors(r: H2loadResult): string {
  const parts = [
    r.done === 0 ? 'no request answered' : '',
    r.failed > 0 ? `${r.failed} failed` : '',
    r.errored > 0 ? `${r.errored} errored` : '',
    r.timeout > 0 ? `${r.timeout} timed out` : '',
    r.status2xx < r.done ? `${r.done - r.status2xx} non-2xx` : '',
  ];
  return parts.filter(Boolean).join(', ');
}

/** `h2load --version`, for the report. */
export function h2loadVersion(h2load: string): string {
  const r = spawnSync(h2load, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  return `${r.stdout ?? ''}`.trim().split('\n')[0] || '?';
}
