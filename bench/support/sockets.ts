// How many TCP connections a proxy holds open to its upstream on 127.0.0.1, from /proc: how it
// spreads calls over connections (an HTTP/2 pool that multiplexes holds a few; one that opens a
// connection per call in flight holds as many as there are calls).
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

const ESTABLISHED = '01';

/** The inodes of the sockets the processes have open. */
function socketInodes(pids: readonly number[]): Set<string> {
  const out = new Set<string>();
  for (const pid of pids) {
    let fds: string[] = [];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // gone: the phase fails on its own
    }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) out.add(m[1] as string);
      } catch {
        // closed meanwhile
      }
    }
  }
  return out;
}

/** Established connections from `pids` to 127.0.0.1:`port`. */
export function connectionsTo(port: number, pids: readonly number[]): number {
  const remote = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const mine = socketInodes(pids);
  let n = 0;
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[2] === remote && f[3] === ESTABLISHED && mine.has(f[9] as string)) n++;
  }
  return n;
}

export interface Upstream {
  port: number;
  /** The processes whose connections to `port` count. */
  pids: readonly number[];
}

/** Samples connectionsTo(each upstream) every `everyMs` until stopped; `stop()` gives the highest count of each. */
export function sampleConnections(upstreams: readonly Upstream[], everyMs = 250): { stop(): number[] } {
  const most = upstreams.map(() => 0);
  const sample = () => upstreams.forEach((u, i) => (most[i] = Math.max(most[i] as number, connectionsTo(u.port, u.pids))));
  const timer = setInterval(sample, everyMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return most;
    },
  };
}
