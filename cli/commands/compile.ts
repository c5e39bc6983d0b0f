// `weft compile <paths…>`: the snapshot as canonical JSON, or signed (compact JWS) with --key.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { formatPolicyError } from '../../core/policy/errors.ts';
import { buildSnapshot } from '../../core/snapshot/build.ts';
import { canonicalJson } from '../../core/snapshot/canonical-json.ts';
import { signSnapshot } from '../../core/snapshot/sign.ts';
import { compilePaths } from '../compile-sources.ts';
import { EXIT_INVALID, EXIT_OK } from '../exit-codes.ts';
import { printWarnings } from './validate.ts';
import type { Io } from '../io.ts';
import { readSigningKey } from '../key-files.ts';

interface CompileOptions {
  out?: string;
  key?: string;
  commit?: string;
  author?: string;
  message?: string;
}

export function registerCompile(program: Command, io: Io): void {
  program
    .command('compile')
    .description('Compile policy files into a snapshot (canonical JSON; a signed JWS with --key).')
    .argument('<paths...>', 'policy files or folders')
    .option('-o, --out <file>', 'write the snapshot to this file instead of stdout')
    .option('--key <file>', 'sign with this private JWK (from `weft keys generate`); output is a compact JWS')
    .option('--commit <sha>', 'source commit recorded in the snapshot metadata')
    .option('--author <name>', 'author recorded in the snapshot metadata')
    .option('--message <text>', 'change description recorded in the snapshot metadata')
    .action(async (paths: string[], opts: CompileOptions) => {
      const result = await compilePaths(paths);
      if (!result.ok) {
        for (const e of result.errors) io.err(`${formatPolicyError(e)}\n`);
        io.err(`${result.errors.length} error${result.errors.length === 1 ? '' : 's'}; nothing written\n`);
        io.exit(EXIT_INVALID);
        return;
      }
      printWarnings(io, result.warnings);
      const source = Object.fromEntries(Object.entries({ commit: opts.commit, author: opts.author, message: opts.message }).filter(([, v]) => v !== undefined));
      const snapshot = await buildSnapshot(result.body, Object.keys(source).length > 0 ? { source } : {});
      const text = opts.key ? `${await signSnapshot(snapshot, await readSigningKey(opts.key))}\n` : `${canonicalJson(snapshot)}\n`;
      if (opts.out) {
        await mkdir(dirname(opts.out), { recursive: true });
        await writeFile(opts.out, text);
        io.err(`wrote ${opts.key ? 'signed ' : ''}snapshot ${snapshot.version.slice(0, 12)} (${result.documents} documents) to ${opts.out}\n`);
      } else io.out(text);
      io.exit(EXIT_OK);
    });
}
