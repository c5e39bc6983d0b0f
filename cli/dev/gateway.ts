// The edge gateway Worker under `wrangler dev`, as README's "Run the pieces" does it: it binds
// control's ControlRpc through the dev registry both share and reads control's KV through the
// shared persist folder.
import { request } from 'node:http';
import { join, resolve } from 'node:path';
import { PACKAGE_ROOT } from '../control/local-control.ts';
import type { ProcessGroup, Started } from './processes.ts';

export function startGateway(group: ProcessGroup, options: { port: number; stateDir: string; env: NodeJS.ProcessEnv; otlp?: string | undefined }): Started {
  return group.start(
    'gateway',
    process.execPath,
    [
      join(PACKAGE_ROOT, 'node_modules/wrangler/bin/wrangler.js'),
      'dev',
      '--config', join(PACKAGE_ROOT, 'wrangler.toml'),
      '--ip', '127.0.0.1',
      '--port', String(options.port),
      '--persist-to', resolve(options.stateDir),
      '--var', 'WEFT_ENV:dev',
      // A saved policy reaches the edge within a second (production checks every 5 s).
      '--var', 'SNAPSHOT_CHECK_SECONDS:1',
      // One node id across restarts: the gateway of the previous run is not left in the
      // status as a live node that never applies the next push.
      '--var', 'GATEWAY_NODE_ID:gateway-dev',
      // The port clients reach it on: a redirect without scheme or port keeps it.
      '--var', `LISTENER_PORT:${options.port}`,
      // `weft dev --otlp`: the gateway's tracing (gateway/telemetry/tracing.ts) exports there.
      ...(options.otlp ? ['--var', `OTEL_EXPORTER_OTLP_ENDPOINT:${options.otlp}`] : []),
      '--inspector-port', '0',
      '--show-interactive-dev-session=false',
    ],
    { cwd: PACKAGE_ROOT, env: options.env },
  );
}

/** GET with any headers (fetch may not set Host): the status, or undefined when nothing answered. */
export function httpStatus(url: string, headers: Record<string, string> = {}): Promise<number | undefined> {
  return new Promise((resolveStatus) => {
    const req = request(url, { headers, timeout: 5000 }, (res) => {
      res.resume();
      resolveStatus(res.statusCode);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolveStatus(undefined));
    req.end();
  });
}

/** Polls (bounded) until `url` answers with a status `ok` accepts. */
export async function waitForHttp(url: string, p: Started, what: string, timeoutMs = 60_000, ok: (status: number) => boolean = () => true, headers: Record<string, string> = {}): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (p.child.exitCode !== null) throw new Error(`${what} exited with code ${p.child.exitCode} before it was ready (log: ${p.logFile}):\n${p.tail()}`);
    const status = await httpStatus(url, headers);
    if (status !== undefined && ok(status)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} did not answer on ${url} within ${timeoutMs / 1000}s (log: ${p.logFile}):\n${p.tail()}`);
}
