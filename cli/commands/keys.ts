// `weft keys generate`: a snapshot signing key pair (private JWK 0600 + public JWKS).
import { access, chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import { generateSigningKeyPair, SIGNING_ALGORITHMS } from '../../core/keys/signing-key.ts';
import type { SigningAlgorithm } from '../../core/keys/signing-key.ts';
import { CliError, EXIT_INVALID, EXIT_OK } from '../exit-codes.ts';
import type { Io } from '../io.ts';

export function registerKeys(program: Command, io: Io): void {
  const keys = program.command('keys').description('Manage signing keys.');
  keys
    .command('generate')
    .description('Generate a signing key pair: <out>/signing-key.jwk (private, mode 0600) and <out>/jwks.json (public trust bundle).')
    .addOption(new Option('--alg <alg>', 'signature algorithm').choices([...SIGNING_ALGORITHMS]).default('ES256'))
    .option('-o, --out <dir>', 'output folder', '.weft/keys')
    .option('--force', 'replace an existing key pair in --out (what it signed will no longer verify against the new bundle)')
    .action(async (opts: { alg: SigningAlgorithm; out: string; force?: boolean }) => {
      const privatePath = join(opts.out, 'signing-key.jwk');
      if (!opts.force && (await access(privatePath).then(() => true, () => false)))
        throw new CliError(`${privatePath} already exists; keep it, or pass --force to replace it`, EXIT_INVALID);
      const pair = await generateSigningKeyPair(opts.alg);
      await mkdir(opts.out, { recursive: true });
      // `mode` applies only when the file is created: chmod first so an existing,
      // world-readable file is closed before the new private key is written into it.
      await chmod(privatePath, 0o600).catch(() => undefined);
      await writeFile(privatePath, `${JSON.stringify(pair.privateJwk, null, 2)}\n`, { mode: 0o600 });
      await chmod(privatePath, 0o600);
      await writeFile(join(opts.out, 'jwks.json'), `${JSON.stringify({ keys: [pair.publicJwk] }, null, 2)}\n`);
      io.out(`generated ${opts.alg} key ${pair.publicJwk.kid}\n  private: ${join(opts.out, 'signing-key.jwk')} (keep secret)\n  public:  ${join(opts.out, 'jwks.json')}\n`);
      io.exit(EXIT_OK);
    });
}
