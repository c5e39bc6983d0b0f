// `weft diff <old> <new>`: the semantic diff a reviewer reads in a pull request. Each side is
// policy files/folders, a snapshot JSON, or a signed snapshot (JWS; its payload is read).
import { readFile, stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { formatSemanticDiff, semanticDiff } from '../../core/diff/semantic-diff.ts';
import { formatPolicyError } from '../../core/policy/errors.ts';
import type { Snapshot, SnapshotBody } from '../../core/snapshot/types.ts';
import { compilePaths } from '../compile-sources.ts';
import { CliError, EXIT_DIFFERENT, EXIT_INVALID, EXIT_OK } from '../exit-codes.ts';
import type { Io } from '../io.ts';


const COMPACT_JWS = /^[A-Za-z0-9_-]+\.([A-Za-z0-9_-]+)\.[A-Za-z0-9_-]+$/;

/** A snapshot file (JSON or JWS), or undefined when the path is policy YAML. */
async function readSnapshotFile(path: string): Promise<SnapshotBody | undefined> {
  const s = await stat(path).catch(() => undefined);
  if (!s || s.isDirectory() || /\.ya?ml$/i.test(path)) return undefined;
  const text = (await readFile(path, 'utf8')).trim();
  const jws = COMPACT_JWS.exec(text);
  let value: unknown;
  try {
    value = JSON.parse(jws ? Buffer.from(jws[1] as string, 'base64url').toString('utf8') : text);
  } catch {
    throw new CliError(`${path} is neither policy YAML, a snapshot JSON, nor a signed snapshot`, EXIT_INVALID);
  }
  const body = (value as Partial<Snapshot>).body;
  if (!body || body.apiVersion !== 'weft/v1') throw new CliError(`${path} is JSON but not a Weft snapshot (no body)`, EXIT_INVALID);
  return body;
}

async function loadSide(paths: string[], io: Io): Promise<SnapshotBody | undefined> {
  if (paths.length === 1) {
    const snap = await readSnapshotFile(paths[0] as string);
    if (snap) return snap;
  }
  const result = await compilePaths(paths);
  if (result.ok) return result.body;
  for (const e of result.errors) io.err(`${formatPolicyError(e)}\n`);
  return undefined;
}

export function registerDiff(program: Command, io: Io): void {
  program
    .command('diff')
    .description('Semantic diff between two policy sets: routes added/removed/changed, weights moved, policies loosened or tightened.')
    .argument('<old>', 'policy file or folder, snapshot JSON, or signed snapshot (use a comma to list several paths)')
    .argument('<new>', 'the same kinds of input for the new side')
    .option('--json', 'print the diff as JSON')
    .option('--exit-code', 'exit 3 when there are differences (like git diff --exit-code)')
    .action(async (oldArg: string, newArg: string, opts: { json?: boolean; exitCode?: boolean }) => {
      const [before, after] = [await loadSide(oldArg.split(','), io), await loadSide(newArg.split(','), io)];
      if (!before || !after) {
        io.err(`cannot diff: ${!before ? oldArg : newArg} has errors\n`);
        io.exit(EXIT_INVALID);
        return;
      }
      const diff = semanticDiff(before, after);
      io.out(opts.json ? `${JSON.stringify(diff, null, 2)}\n` : formatSemanticDiff(diff));
      io.exit(opts.exitCode && diff.changes.length > 0 ? EXIT_DIFFERENT : EXIT_OK);
    });
}
