// `weft sidecar`: runs the Node sidecar in this process with the same flags and environment
// variables as the standalone bundle (dist/weft-sidecar.mjs). The sidecar's modules load only
// when this command runs.
import type { Command } from 'commander';
import { CliError, EXIT_USAGE } from '../exit-codes.ts';
import type { Io } from '../io.ts';
import { processIo } from '../io.ts';
import { ConfigError, FLAGS, resolveConfig } from '../../sidecar/config.ts';

function camel(flag: string): string {
  return flag.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
}

export function registerSidecar(program: Command, io: Io): void {
  const cmd = program
    .command('sidecar')
    .description('Run the Weft sidecar beside one service instance: inbound proxy, outbound proxy, admin API. SIGTERM drains and deregisters.');
  for (const f of FLAGS) {
    const def = f.defaultText ? ` [default: ${f.defaultText}]` : f.required ? ' (required)' : '';
    cmd.option(`--${f.flag} <value>`, `${f.description}${def} (env: ${f.env.join(', ')})`);
  }
  cmd.action(async (opts: Record<string, string | undefined>) => {
    const flags = Object.fromEntries(FLAGS.map((f) => [f.flag, opts[camel(f.flag)]]));
    let config;
    try {
      config = resolveConfig(flags);
    } catch (e) {
      if (e instanceof ConfigError) throw new CliError(e.message, EXIT_USAGE);
      throw e;
    }
    const { runSidecar } = await import('../../sidecar/main.ts');
    const code = await runSidecar(config, { err: (s) => io.err(s) });
    io.exit(code);
    // A stopped sidecar has nothing left to do; do not wait for idle sockets to time out.
    if (io === processIo) process.exit(code);
  });
}
