// `weft dev`: the whole mesh on this machine. Control and the edge gateway in workerd (wrangler
// dev, state under .weft/), policies/ pushed, the Bookinfo demo from examples/ each beside its
// own sidecar; then it watches policies/ and pushes every valid save. Ctrl-C stops everything.
import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { formatPolicyError } from '../../core/policy/errors.ts';
import { compilePaths } from '../compile-sources.ts';
import { controlApi } from '../control-api.ts';
import { devCredentials, startLocalControl, waitForControl } from '../control/local-control.ts';
import { BOOKINFO, EDGE_API } from '../dev/demo-apps.ts';
import { startDemoMesh } from '../dev/demo-mesh.ts';
import { DEMO_API_KEY, demoJwt } from '../dev/dev-token.ts';
import { parseOtlpFlag } from '../dev/otlp-flag.ts';
import { httpStatus, startGateway, waitForHttp } from '../dev/gateway.ts';
import { assertPortsFree, instancePorts } from '../dev/ports.ts';
import { ProcessGroup } from '../dev/processes.ts';
import { reportConvergence, validateAndPush } from '../dev/push-policies.ts';
import { watchPolicies } from '../dev/watch-policies.ts';
import { CliError, EXIT_INVALID, EXIT_OK } from '../exit-codes.ts';
import type { Io } from '../io.ts';
import { parsePortFlag } from '../port-flag.ts';

interface DevFlags {
  gatewayPort: string;
  controlPort: string;
  basePort: string;
  policies: string;
  watch: boolean;
  otlp?: string;
}

async function dev(opts: DevFlags, io: Io): Promise<void> {
  const gatewayPort = parsePortFlag('--gateway-port', opts.gatewayPort);
  const controlPort = parsePortFlag('--control-port', opts.controlPort);
  const basePort = parsePortFlag('--base-port', opts.basePort, BOOKINFO.length * 4);
  const otlp = opts.otlp === undefined ? undefined : parseOtlpFlag(opts.otlp);
  const policies = opts.policies.replace(/\/+$/, '');
  const weft = resolve('.weft');
  const say = (line: string) => io.out(`${line}\n`);

  await assertPortsFree([
    { port: controlPort, flag: '--control-port' },
    { port: gatewayPort, flag: '--gateway-port' },
    ...BOOKINFO.flatMap((_, i) => Object.values(instancePorts(basePort, i)).map((p) => ({ port: p, flag: '--base-port' }))),
    ...EDGE_API.map((a) => ({ port: a.port, flag: `a change of the api Service's endpoints in ${policies}/edge/api.yaml` })),
  ]);

  // Policies that cannot be pushed stop weft dev before it starts anything.
  const precheck = await compilePaths([policies]);
  if (!precheck.ok) {
    for (const e of precheck.errors) io.err(`${formatPolicyError(e)}\n`);
    throw new CliError(`${precheck.errors.length} error${precheck.errors.length === 1 ? '' : 's'} in ${policies}/; fix ${precheck.errors.length === 1 ? 'it' : 'them'} and run weft dev again (nothing was started)`, EXIT_INVALID);
  }

  const { created, credentials } = await devCredentials(resolve(weft, 'control'));
  say(`${created ? 'generated' : 'reusing'} dev keys and admin token in .weft/control/`);
  // Both wrangler processes find each other (the gateway's CONTROL binding) in this registry.
  // An entry left by a process that was killed (not stopped) points at a dead address, and a
  // gateway that reads it never reaches the new control: start with an empty registry. The
  // ports were checked free above, so nothing of an earlier run is still serving.
  await rm(resolve(weft, 'dev/registry'), { recursive: true, force: true });
  const env: NodeJS.ProcessEnv = { ...process.env, WRANGLER_SEND_METRICS: 'false', WRANGLER_HIDE_BANNER: 'true', WRANGLER_REGISTRY_PATH: resolve(weft, 'dev/registry') };
  const group = new ProcessGroup(resolve(weft, 'dev/logs'));
  let stopping = false;
  let watcher: { close(): void } | undefined;
  let finish: (code: number) => void = () => {};
  const done = new Promise<number>((r) => (finish = r));
  const stop = (code: number) => {
    if (stopping) return;
    stopping = true;
    watcher?.close();
    say('\nstopping…');
    void group.stopAll().then(() => {
      say('stopped every process weft dev started');
      finish(code);
    });
  };
  const onSignal = () => stop(EXIT_OK);
  // SIGHUP too: closing the terminal must not leave the children running.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);
  group.onUnexpectedExit = (p, code) => say(`! ${p.name} exited (code ${code}); its log: ${p.logFile}`);

  try {
    const controlChild = startLocalControl({ port: controlPort, stateDir: resolve(weft, 'state'), secretsDir: resolve(weft, 'control'), env });
    const control = group.adopt('control', controlChild);
    const controlUrl = `http://127.0.0.1:${controlPort}`;
    const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    const gateway = startGateway(group, { port: gatewayPort, stateDir: resolve(weft, 'state'), env, otlp });
    say(`starting control (${controlUrl}) and the gateway (http://127.0.0.1:${gatewayPort}); logs in .weft/dev/logs/`);
    try {
      await waitForControl(controlUrl, control.child);
    } catch (e) {
      throw new Error(`${(e as Error).message} (log: ${control.logFile})\n${control.tail()}`);
    }
    const api = await controlApi({ control: controlUrl, token: credentials.adminToken });
    const first = await validateAndPush(api, policies, say, precheck);
    if (!first.ok) throw new CliError(`fix ${policies}/ and run weft dev again`, EXIT_INVALID);
    say(`starting ${BOOKINFO.length} Bookinfo instances, each with its own sidecar (ports from ${basePort})…`);
    const instances = await startDemoMesh(group, api, { basePort, stateDir: resolve(weft, 'dev'), env, otlp });
    await waitForHttp(`${gatewayUrl}/productpage`, gateway, 'the gateway', 90_000);
    // The gateway checks KV for a new snapshot every few seconds: wait until it routes.
    await waitForHttp(`${gatewayUrl}/productpage`, gateway, 'the gateway (routing bookinfo.example.com)', 60_000, (status) => status === 200, { host: 'bookinfo.example.com' }).catch(() => undefined);
    const following = { nudge: () => httpStatus(`${gatewayUrl}/`, { host: 'weft-dev.invalid' }), stopped: () => stopping };
    if (!stopping) await reportConvergence(api, first.version, say, { ...following, timeoutMs: 15_000 });
    const jwt = await demoJwt();
    say('');
    say(`weft dev is up. Gateway: ${gatewayUrl}   control: ${controlUrl}`);
    say('');
    say('  # Bookinfo through the edge (productpage → details, reviews → ratings):');
    say(`  curl -s -H 'host: bookinfo.example.com' ${gatewayUrl}/productpage`);
    say(`  curl -s -H 'host: bookinfo.example.com' -H 'end-user: jason' ${gatewayUrl}/productpage   # reviews v2`);
    say('  # the API at the edge, with a dev JWT (demo issuer) or an API key:');
    say(`  curl -s -H 'host: api.example.com' -H 'authorization: Bearer ${jwt}' ${gatewayUrl}/v1/users/42`);
    say(`  curl -s -H 'host: api.example.com' -H 'x-api-key: ${DEMO_API_KEY}' ${gatewayUrl}/v1/users/42`);
    say('');
    say(`  status: ${controlUrl}/v1/status  (admin token in .weft/control/admin-token), or: npx weft status --control ${controlUrl}`);
    say(`  sidecars: ${instances.map((i) => `${i.instance.id} :${i.ports.admin}/ready`).join(', ')}`);
    if (otlp) say(`  traces: the gateway and every sidecar export to ${otlp}/v1/traces (OTLP/HTTP)`);
    say('');
    if (opts.watch) {
      watcher = watchPolicies(policies, async () => {
        say(`\n${policies}/ changed: validating…`);
        const outcome = await validateAndPush(api, policies, say);
        if (outcome.ok && !outcome.unchanged) await reportConvergence(api, outcome.version, say, following);
      });
      say(`watching ${policies}/ — save a file to validate and push it. Ctrl-C stops everything.`);
    } else say('Ctrl-C stops everything.');
  } catch (e) {
    if (!stopping) {
      io.err(`weft dev: ${(e as Error).message}\n`);
      stop(e instanceof CliError ? e.exitCode : EXIT_INVALID);
    }
  }
  const code = await done;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(signal, onSignal);
  io.exit(code);
}

export function registerDev(program: Command, io: Io): void {
  program
    .command('dev')
    .description('Run the whole mesh locally: control and gateway (workerd), policies/ pushed, the Bookinfo demo with sidecars; watch policies/. Ctrl-C stops it.')
    .option('--gateway-port <port>', 'the edge gateway on 127.0.0.1', '8787')
    .option('--control-port <port>', 'the control plane on 127.0.0.1', '8788')
    .option('--base-port <port>', `first of ${BOOKINFO.length * 4} ports for the demo apps and their sidecars`, '19080')
    .option('--policies <dir>', 'the policy folder to push and watch', 'policies')
    .option('--no-watch', 'do not watch the policy folder')
    .option('--otlp <url>', 'export traces from the gateway and every sidecar to this OTLP/HTTP collector base URL (e.g. http://127.0.0.1:4318; /v1/traces is appended)')
    .action((opts: DevFlags) => dev(opts, io));
}
