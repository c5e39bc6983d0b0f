// `weft control`: the control plane on this machine (workerd via wrangler dev), state under
// .weft/. Ctrl-C stops it cleanly.
import type { Command } from 'commander';
import { CliError, EXIT_OK } from '../exit-codes.ts';
import type { Io } from '../io.ts';
import { parsePortFlag } from '../port-flag.ts';
import { assertPortFree, devCredentials, startLocalControl, waitForControl } from '../control/local-control.ts';

export function registerControl(program: Command, io: Io): void {
  program
    .command('control')
    .description('Run the control plane locally (workerd), with state and dev secrets under .weft/. Ctrl-C stops it.')
    .option('--port <port>', 'port on 127.0.0.1', '8788')
    .option('--state <dir>', 'Durable Object and KV state', '.weft/state')
    .option('--secrets <dir>', 'dev secrets and admin tokens (made on first run)', '.weft/control')
    .action(async (opts: { port: string; state: string; secrets: string }) => {
      const port = parsePortFlag('--port', opts.port);
      await assertPortFree(port, '--port');
      const { created } = await devCredentials(opts.secrets);
      const child = startLocalControl({ port, stateDir: opts.state, secretsDir: opts.secrets });
      let log = '';
      const keep = (chunk: Buffer) => {
        log = (log + chunk.toString()).slice(-8000);
      };
      child.stdout?.on('data', keep);
      child.stderr?.on('data', keep);
      let stopping = false;
      const stop = () => {
        stopping = true;
        child.kill('SIGINT');
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      const url = `http://127.0.0.1:${port}`;
      try {
        await waitForControl(url, child);
      } catch (e) {
        child.kill('SIGKILL');
        throw new CliError(`${(e as Error).message}\n${log}`);
      }
      io.out(
        [
          `control plane ready on ${url}`,
          `  ${created ? 'generated' : 'using'} dev secrets in ${opts.secrets}/ (admin token: ${opts.secrets}/admin-token)`,
          `  state in ${opts.state}/`,
          `  try: curl -s ${url}/v1/bundle`,
          '',
        ].join('\n'),
      );
      const code = await new Promise<number>((resolve) => child.once('exit', (c) => resolve(c ?? 0)));
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      // Stopped on request (Ctrl-C, SIGTERM): a clean exit whatever code wrangler ends with.
      io.exit(stopping || code === 0 ? EXIT_OK : code);
    });
}
