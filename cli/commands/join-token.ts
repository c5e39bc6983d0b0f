// `weft join-token --service S`: a join token for one workload identity
// (POST /v1/identity/join-tokens). Only the token goes to stdout, so
// `WEFT_SIDECAR_JOIN_TOKEN=$(weft join-token --service reviews)` works.
import type { Command } from 'commander';
import { controlApi, controlFailure, withControlOptions } from '../control-api.ts';
import type { ControlFlags } from '../control-api.ts';
import { CliError, EXIT_OK, EXIT_USAGE } from '../exit-codes.ts';
import type { Io } from '../io.ts';

interface JoinFlags extends ControlFlags {
  service: string;
  namespace: string;
  ttl: string;
  uses: string;
  json?: boolean;
}

export function registerJoinToken(program: Command, io: Io): void {
  withControlOptions(
    program
      .command('join-token')
      .description('Make a join token a new workload (sidecar) uses to get its first SVIDs. Prints only the token.')
      .requiredOption('--service <name>', 'the workload’s service (a DNS label)')
      .option('--namespace <name>', 'the workload’s namespace', 'default')
      .option('--ttl <duration>', 'how long the token is valid (at most 24h)', '15m')
      .option('--uses <n>', 'how many SVID requests it may make (e.g. one per replica), 1-1000', '1')
      .option('--json', 'print {token, spiffeId, expiresAt, uses} as JSON'),
  ).action(async (opts: JoinFlags) => {
    const uses = Number(opts.uses);
    if (!Number.isInteger(uses) || uses < 1 || uses > 1000) throw new CliError(`--uses must be a whole number from 1 to 1000, got "${opts.uses}"`, EXIT_USAGE);
    const api = await controlApi(opts);
    let body: { token: string; spiffeId: string; expiresAt: string; uses: number };
    try {
      body = (await api.call<typeof body>('POST', '/v1/identity/join-tokens', { body: { service: opts.service, namespace: opts.namespace, ttl: opts.ttl, uses } })).body;
    } catch (e) {
      throw controlFailure(e, 'cannot make a join token');
    }
    if (opts.json) io.out(`${JSON.stringify(body, null, 2)}\n`);
    else {
      io.out(`${body.token}\n`);
      io.err(`join token for ${body.spiffeId}, ${body.uses} use${body.uses === 1 ? '' : 's'}, expires ${body.expiresAt}\n`);
    }
    io.exit(EXIT_OK);
  });
}
