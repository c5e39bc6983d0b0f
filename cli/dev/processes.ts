// The processes `weft dev` starts: each one's output goes to its own log file under
// .weft/dev/logs/, and `stopAll` ends every one of them by PID (SIGINT, then SIGKILL after a
// grace period) and waits until they are gone.
import { spawn } from 'node:child_process';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';

export interface Started {
  name: string;
  child: ChildProcess;
  logFile: string;
  /** The last few KB of its output, for error messages. */
  tail(): string;
}

export class ProcessGroup {
  readonly logDir: string;
  readonly started: Started[] = [];
  /** Called when a process exits while the group is not stopping. */
  onUnexpectedExit: (p: Started, code: number | null) => void = () => {};
  private stopping = false;

  constructor(logDir: string) {
    this.logDir = logDir;
    mkdirSync(logDir, { recursive: true });
  }

  start(name: string, command: string, args: string[], options: SpawnOptions = {}): Started {
    return this.adopt(name, spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options }));
  }

  /** Takes over a process started elsewhere (its stdout/stderr piped). */
  adopt(name: string, child: ChildProcess): Started {
    const logFile = join(this.logDir, `${name}.log`);
    const log = createWriteStream(logFile, { flags: 'w' });
    let tail = '';
    const keep = (b: Buffer) => {
      log.write(b);
      tail = (tail + b.toString()).slice(-4000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const p: Started = { name, child, logFile, tail: () => tail };
    child.once('exit', (code) => {
      log.end();
      if (!this.stopping) this.onUnexpectedExit(p, code);
    });
    this.started.push(p);
    return p;
  }

  /** Stops every process (the newest first), by PID; resolves once all have exited. */
  async stopAll(graceMs = 8000): Promise<void> {
    this.stopping = true;
    const running = [...this.started].reverse().filter((p) => p.child.exitCode === null && p.child.signalCode === null && p.child.pid !== undefined);
    await Promise.all(
      running.map(
        (p) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(() => {
              try {
                process.kill(p.child.pid!, 'SIGKILL');
              } catch {
                // already gone
              }
            }, graceMs);
            p.child.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            try {
              process.kill(p.child.pid!, 'SIGINT');
            } catch {
              clearTimeout(timer);
              resolve();
            }
          }),
      ),
    );
  }
}
