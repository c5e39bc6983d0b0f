// What a process costs, read from Linux /proc: resident memory (VmRSS, VmHWM in
// /proc/<pid>/status) and CPU time (utime + stime in /proc/<pid>/stat, in clock ticks).
// A "group" is the set of processes that make one measured thing (nginx: master + worker;
// the sidecar pair: two Node processes); its figures are sums.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

let ticksPerSecond: number | undefined;

/** USER_HZ (clock ticks per second of /proc/<pid>/stat), usually 100. */
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

function statusField(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
  if (!m) throw new Error(`/proc/${pid}/status has no ${field}`);
  return Number(m[1]) * 1024;
}

/** Resident set size now, in bytes. */
export function rssBytes(pid: number): number {
  return statusField(pid, 'VmRSS');
}

/** Peak resident set size over the process's life so far, in bytes. */
export function peakRssBytes(pid: number): number {
  return statusField(pid, 'VmHWM');
}

/** The fields of /proc/<pid>/stat after the command name (which may hold spaces and parentheses). */
function statFields(pid: number): string[] {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
}

/** User + system CPU time the process has used, in seconds. */
function cpuSeconds(pid: number): number {
  const f = statFields(pid);
  // After the name: state(0) ppid(1) … utime(11) stime(12), i.e. fields 14 and 15 of stat(5).
  return (Number(f[11]) + Number(f[12])) / clockTicks();
}

/** Children of `pid` (direct only), found by scanning /proc for their parent id. */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (Number(statFields(Number(name))[1]) === pid) out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export const sumRss = (pids: readonly number[]): number => pids.reduce((s, p) => s + rssBytes(p), 0);
export const sumCpu = (pids: readonly number[]): number => pids.reduce((s, p) => s + cpuSeconds(p), 0);

/**
 * Samples the RSS of `pids` every `everyMs` until stopped; `stop()` gives the highest summed
 * sample and the highest sample of each process. Cheap enough to run beside a saturation
 * phase (one small /proc read per process).
 */
export function sampleRss(pids: readonly number[], everyMs = 100): { stop(): { sum: number; byPid: Map<number, number> } } {
  let sum = 0;
  const byPid = new Map<number, number>();
  const sample = () => {
    try {
      let s = 0;
      for (const p of pids) {
        const r = rssBytes(p);
        s += r;
        byPid.set(p, Math.max(byPid.get(p) ?? 0, r));
      }
      sum = Math.max(sum, s);
    } catch {
      // a process ended: the phase fails on its own
    }
  };
  sample();
  const timer = setInterval(sample, everyMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return { sum, byPid };
    },
  };
}
