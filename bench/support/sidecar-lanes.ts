// The sidecar lanes of bench/sidecar.bench.ts: starts the real control Worker (in the bench
// process), pushes a policy that routes a mesh service to the app, and starts the sidecar
// processes (the shipped bundle) with one join token each. Until the sidecar runs, it starts
// nothing and says why.
import type { Tools } from './wrk.ts';

/** One measured thing. */
export interface Lane {
  key: string;
  name: string;
  url: string;
  headers: Record<string, string>;
  /** Proxy hops between wrk and the app (0 for direct). */
  hops: number;
  /** The processes whose RSS and CPU are this lane's cost (direct: the app). */
  pids: () => number[];
  /** Sum of the processes' RSS after start-up settled, before any traffic (bytes). */
  idleRss?: number;
}

/** One sidecar process, for the per-process RSS targets. */
export interface SidecarProcess {
  name: string;
  pid: number;
}

export interface SidecarLanes {
  lanes: Lane[];
  processes: SidecarProcess[];
  /** What runs (bundle or source entry, control), or why nothing does. */
  description: string;
  close(): Promise<void>;
}

export interface SidecarLaneOptions {
  root: string;
  work: string;
  appPort: number;
  /** Path (and query) wrk asks for. */
  path: string;
  /** CPU list for the sidecar processes. */
  cpus: string | undefined;
  tools: Tools;
}

export async function startSidecarLanes(_options: SidecarLaneOptions): Promise<SidecarLanes> {
  return { lanes: [], processes: [], description: 'NOT MEASURED: sidecar/main.ts is not in git yet', close: async () => undefined };
}
