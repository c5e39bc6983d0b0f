// `weft validate <paths…>`: every error as file:line:col: path: message (or JSON), exit 1.
import type { Command } from 'commander';
import { formatPolicyError } from '../../core/policy/errors.ts';
import { snapshotVersion } from '../../core/snapshot/build.ts';
import { compilePaths } from '../compile-sources.ts';
import { EXIT_INVALID, EXIT_OK } from '../exit-codes.ts';
import type { Io } from '../io.ts';

export function registerValidate(program: Command, io: Io): void {
  program
    .command('validate')
    .description('Check policy files: schema, references, conflicts. Prints every error as file:line:col: path: message.')
    .argument('<paths...>', 'policy files or folders (walked recursively for *.yaml, *.yml)')
    .option('--json', 'print the result as JSON: {"valid", "errors": [{file, line, column, path, message, code}]}')
    .action(async (paths: string[], opts: { json?: boolean }) => {
      const result = await compilePaths(paths);
      if (!result.ok) {
        if (opts.json) io.out(`${JSON.stringify({ valid: false, errors: result.errors }, null, 2)}\n`);
        else {
          for (const e of result.errors) io.err(`${formatPolicyError(e)}\n`);
          io.err(`${result.errors.length} error${result.errors.length === 1 ? '' : 's'} in ${paths.join(' ')}\n`);
        }
        io.exit(EXIT_INVALID);
        return;
      }
      const version = await snapshotVersion(result.body);
      if (opts.json) io.out(`${JSON.stringify({ valid: true, version, documents: result.documents, files: result.files.length, errors: [] }, null, 2)}\n`);
      else io.out(`valid: ${result.documents} documents in ${result.files.length} files, version ${version.slice(0, 12)}\n`);
      io.exit(EXIT_OK);
    });
}
