// The sidecar process: `node dist/weft-sidecar.mjs --service reviews --app-port 9080` (or
// `weft sidecar …`). Configuration from flags and WEFT_SIDECAR_* variables; SIGTERM or SIGINT
// stops accepting, drains in-flight requests for up to --drain-seconds, deregisters from
// control and exits 0; a second signal exits at once. Exit 1: the sidecar could not start
// (message on stderr); exit 2: bad flags or configuration.
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { ConfigError, helpText, parseFlags, resolveConfig } from './config.ts';
import type { SidecarConfig } from './config.ts';
import { startSidecar, StartupError } from './sidecar.ts';
import type { SidecarHandle } from './sidecar.ts';

export const EXIT_OK = 0;
export const EXIT_STARTUP = 1;
export const EXIT_USAGE = 2;

/**
 * Starts the sidecar and runs it until SIGTERM/SIGINT; resolves with the exit code once it has
 * drained and deregistered. A startup failure resolves EXIT_STARTUP after printing why.
 */
export async function runSidecar(config: SidecarConfig, io: { err: (s: string) => void } = { err: (s) => process.stderr.write(s) }): Promise<number> {
  let handle: SidecarHandle;
  let signalled: NodeJS.Signals | undefined;
  const early = (sig: NodeJS.Signals) => {
    // A signal while still starting: nothing to drain yet; stop as soon as startup settles.
    if (signalled) process.exit(128 + (sig === 'SIGINT' ? 2 : 15));
    signalled = sig;
  };
  process.on('SIGTERM', early);
  process.on('SIGINT', early);
  try {
    handle = await startSidecar(config);
  } catch (e) {
    process.off('SIGTERM', early);
    process.off('SIGINT', early);
    const message = e instanceof StartupError || e instanceof Error ? e.message : String(e);
    io.err(`weft-sidecar: cannot start: ${message}\n`);
    return EXIT_STARTUP;
  }
  process.off('SIGTERM', early);
  process.off('SIGINT', early);

  return new Promise<number>((resolve) => {
    let stopping = false;
    const onSignal = (sig: NodeJS.Signals) => {
      if (stopping) {
        io.err(`weft-sidecar: ${sig} again, exiting without draining\n`);
        process.exit(128 + (sig === 'SIGINT' ? 2 : 15));
      }
      stopping = true;
      handle.stop(config.drainSeconds * 1000).then(
        () => {
          process.off('SIGTERM', onSignal);
          process.off('SIGINT', onSignal);
          resolve(EXIT_OK);
        },
        (e: unknown) => {
          io.err(`weft-sidecar: shutdown failed: ${(e as Error)?.message ?? String(e)}\n`);
          resolve(EXIT_STARTUP);
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    if (signalled) onSignal(signalled);
  });
}

/** The process entry: argv → config → run → exit code. */
export async function main(argv: string[]): Promise<number> {
  let config: SidecarConfig;
  try {
    const { flags, help } = parseFlags(argv);
    if (help) {
      process.stdout.write(helpText());
      return EXIT_OK;
    }
    config = resolveConfig(flags);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`weft-sidecar: ${e.message}\n(run with --help for usage)\n`);
      return EXIT_USAGE;
    }
    throw e;
  }
  return runSidecar(config);
}

/** Run as the program (`node sidecar/main.ts`, `node dist/weft-sidecar.mjs`), not imported by `weft sidecar`. */
function isEntry(): boolean {
  if (typeof import.meta.main === 'boolean') return import.meta.main;
  // Node before 22.18 has no import.meta.main: compare with the script Node was given.
  const script = process.argv[1];
  if (!script) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

if (isEntry()) {
  const code = await main(process.argv.slice(2));
  // Timers (keep-alive sockets, the control client's watches) are gone after stop(); exit
  // explicitly anyway so a stray handle cannot keep a stopped sidecar alive.
  process.exit(code);
}
