// The `weft` command: parses flags (commander), runs one command, maps failures to the
// documented exit codes with a one-line message — never a stack trace for a user's mistake.
import { Command, CommanderError } from 'commander';
import { registerCompile } from './commands/compile.ts';
import { registerControl } from './commands/control.ts';
import { registerDev } from './commands/dev.ts';
import { registerDiff } from './commands/diff.ts';
import { registerExport } from './commands/export.ts';
import { registerHashKey } from './commands/hash-key.ts';
import { registerHistory } from './commands/history.ts';
import { registerImport } from './commands/import.ts';
import { registerJoinToken } from './commands/join-token.ts';
import { registerKeys } from './commands/keys.ts';
import { registerPush } from './commands/push.ts';
import { registerRollback } from './commands/rollback.ts';
import { registerSchema } from './commands/schema.ts';
import { registerSidecar } from './commands/sidecar.ts';
import { registerStatus } from './commands/status.ts';
import { registerValidate } from './commands/validate.ts';
import { registerVerify } from './commands/verify.ts';
import { CliError, EXIT_USAGE } from './exit-codes.ts';
import type { Io } from './io.ts';
import { processIo } from './io.ts';

export function buildProgram(io: Io): Command {
  const program = new Command('weft')
    .description('Weft: policy-as-code service mesh and edge gateway.')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });
  registerValidate(program, io);
  registerCompile(program, io);
  registerDiff(program, io);
  registerSchema(program, io);
  registerImport(program, io);
  registerExport(program, io);
  registerKeys(program, io);
  registerVerify(program, io);
  registerHashKey(program, io);
  registerControl(program, io);
  registerSidecar(program, io);
  registerPush(program, io);
  registerRollback(program, io);
  registerHistory(program, io);
  registerStatus(program, io);
  registerJoinToken(program, io);
  registerDev(program, io);
  program.exitOverride();
  for (const c of program.commands) {
    c.exitOverride();
    for (const sub of c.commands) sub.exitOverride();
  }
  return program;
}

export async function runCli(argv: string[], io: Io = processIo): Promise<void> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      io.exit(e.exitCode === 0 ? 0 : EXIT_USAGE);
      return;
    }
    if (e instanceof CliError) {
      io.err(`weft: ${e.message}\n`);
      io.exit(e.exitCode);
      return;
    }
    throw e;
  }
}

