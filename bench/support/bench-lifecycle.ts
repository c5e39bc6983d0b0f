// What every process-starting benchmark needs around its rounds: a temp folder, one cleanup
// (sidecar lanes closed, nginx processes stopped by PID, the folder removed) run however the
// bench ends, a watchdog under bench/run.ts's 300 s kill, and SIGINT/SIGTERM handled. Miniflare
// (the control Worker) hooks those signals too and calls process.exit() before an async
// cleanup can finish: what is still running is signalled on the way out regardless.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Nginx } from './nginx.ts';
import type { SidecarLanes } from './sidecar-lanes.ts';
import { signalAllNow, stopAll } from './sidecar-processes.ts';

const WATCHDOG_MS = 280_000; // bench/run.ts kills a bench at 300 s

export interface BenchLifecycle {
  /** The bench's temp folder (removed by cleanup). */
  readonly work: string;
  /** nginx processes the bench started: stopped by cleanup. */
  readonly nginxes: Nginx[];
  /** Set once the sidecar lanes are up: closed by cleanup. */
  sidecars: SidecarLanes | undefined;
  /** Stops everything (and the watchdog); the same promise however often it is called. */
  cleanup(): Promise<void>;
}

export function benchLifecycle(name: string): BenchLifecycle {
  let cleaned: Promise<void> | undefined;
  const life: BenchLifecycle = {
    work: mkdtempSync(join(tmpdir(), `weft-${name}-bench-`)),
    nginxes: [],
    sidecars: undefined,
    cleanup() {
      clearTimeout(watchdog);
      cleaned ??= (async () => {
        try {
          await life.sidecars?.close().catch((e: unknown) => console.error(`sidecar lanes: ${(e as Error).message}`));
        } finally {
          await stopAll(() => life.nginxes.flatMap((n) => n.workers));
          rmSync(life.work, { recursive: true, force: true });
        }
      })();
      return cleaned;
    },
  };
  const watchdog = setTimeout(() => {
    console.error(`${name} bench: still running after ${WATCHDOG_MS / 1000} s; stopping everything`);
    void life.cleanup().finally(() => process.exit(1));
  }, WATCHDOG_MS);
  watchdog.unref();
  process.on('exit', () => {
    signalAllNow(life.nginxes.flatMap((n) => n.workers));
    rmSync(life.work, { recursive: true, force: true });
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => {
      console.error(`${name} bench: ${signal}; stopping everything`);
      void life.cleanup().finally(() => process.exit(130));
    });
  return life;
}
