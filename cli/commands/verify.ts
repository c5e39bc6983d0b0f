// `weft verify <snapshot.jws> --trust <jwks.json>`: what a data plane checks, from the shell.
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { verifySignedSnapshot } from '../../core/snapshot/verify.ts';
import { CliError, EXIT_INVALID, EXIT_OK } from '../exit-codes.ts';
import type { Io } from '../io.ts';
import { readTrustBundle } from '../key-files.ts';

export function registerVerify(program: Command, io: Io): void {
  program
    .command('verify')
    .description('Verify a signed snapshot against a trust bundle, as gateways and sidecars do.')
    .argument('<snapshot>', 'signed snapshot (compact JWS) file')
    .requiredOption('--trust <jwks>', 'trust bundle (JWKS file)')
    .action(async (file: string, opts: { trust: string }) => {
      const jws = await readFile(file, 'utf8').catch(() => {
        throw new CliError(`cannot read snapshot ${file}`);
      });
      const result = await verifySignedSnapshot(jws, await readTrustBundle(opts.trust));
      if (!result.ok) {
        io.err(`refused (${result.code}): ${result.message}\n`);
        io.exit(EXIT_INVALID);
        return;
      }
      io.out(`verified: version ${result.snapshot.version} signed by key ${result.kid}, created ${result.snapshot.metadata.createdAt}\n`);
      io.exit(EXIT_OK);
    });
}
