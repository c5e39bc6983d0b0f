// `weft hash-key`: the SHA-256 an Authentication stores for an API key (read from stdin, so
// the key stays out of shell history).
import type { Command } from 'commander';
import { sha256Hex } from '../../core/snapshot/canonical-json.ts';
import { CliError, EXIT_OK } from '../exit-codes.ts';
import type { Io } from '../io.ts';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export function registerHashKey(program: Command, io: Io): void {
  program
    .command('hash-key')
    .description('Print the sha256 to put in an Authentication apiKeys entry. Reads the key from stdin.')
    .action(async () => {
      const key = (await readStdin()).replace(/\r?\n$/, '');
      if (!key) throw new CliError('no key on stdin (usage: printf %s "$KEY" | weft hash-key)');
      io.out(`${await sha256Hex(key)}\n`);
      io.exit(EXIT_OK);
    });
}
