// `weft validate <paths…>`: every error as file:line:col: path: message (or JSON), exit 1.
// Warnings (legal policy that is probably a mistake) are printed the same way, prefixed
// `warning:`, and never change the exit code.
import type { Command } from 'commander';
import { formatPolicyError } from '../../core/policy/errors.ts';
import { snapshotVersion } from '../../core/snapshot/build.ts';
import { compilePaths } from '../compile-sources.ts';
import { EXIT_INVALID, EXIT_OK } from '../exit-codes.ts';
import type { Io } from '../io.ts';
import type { PolicyError } from '../../core/policy/errors.ts';

/** Each warning as `warning: file:line:col: path: message`, on stderr. */
export function printWarnings(io: Io, warnings: readonly PolicyError[]): void {
  for (const w of warnings) io.err(`warning: ${formatPolicyError(w)}\n`);
}

export function registerValidate(program: Command, io: Io): void {
  program
    .command('validate')
    .description('Check policy files: schema and references, with warnings for legal but suspicious policy. Prints every error as file:line:col: path: message.')
    .argument('<paths...>', 'policy files or folders (walked recursively for *.yaml, *.yml)')
    .option('--json', 'print the result as JSON: {"valid", "errors": [{file, line, column, path, message, code}], "warnings": [same]}')
    .action(async (paths: string[], opts: { json?: boolean }) => {
      const result = await compilePaths(paths);
      if (!result.ok) {
        if (opts.json) io.out(`${JSON.stringify({ valid: false, errors: result.errors, warnings: result.warnings }, null, 2)}\n`);
        else {
          for (const e of result.errors) io.err(`${formatPolicyError(e)}\n`);
          printWarnings(io, result.warnings);
          io.err(`${result.errors.length} error${result.errors.length === 1 ? '' : 's'} in ${paths.join(' ')}\n`);
        }
        io.exit(EXIT_INVALID);
        return;
      }
      const version = await snapshotVersion(result.body);
      if (opts.json) io.out(`${JSON.stringify({ valid: true, version, documents: result.documents, files: result.files.length, errors: [], warnings: result.warnings }, null, 2)}\n`);
      else {
        printWarnings(io, result.warnings);
        const warned = result.warnings.length > 0 ? `, ${result.warnings.length} warning${result.warnings.length === 1 ? '' : 's'}` : '';
        io.out(`valid: ${result.documents} documents in ${result.files.length} files, version ${version.slice(0, 12)}${warned}\n`);
      }
      io.exit(EXIT_OK);
    });
}
