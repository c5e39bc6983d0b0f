// Starts the demo mesh: per Bookinfo instance a join token, the app and its own sidecar
// (ports from --base-port, state under .weft/dev/sidecars/<id>), then waits for every /ready.
// Also the `api` echo the edge example routes to.
import { join, resolve } from 'node:path';
import { PACKAGE_ROOT } from '../control/local-control.ts';
import type { ControlApi } from '../control-api.ts';
import { BOOKINFO, EDGE_API, EXAMPLES } from './demo-apps.ts';
import type { DemoInstance } from './demo-apps.ts';
import { waitForHttp } from './gateway.ts';
import { instancePorts } from './ports.ts';
import type { InstancePorts } from './ports.ts';
import type { ProcessGroup, Started } from './processes.ts';

export interface RunningInstance {
  instance: DemoInstance;
  ports: InstancePorts;
}

export async function startDemoMesh(group: ProcessGroup, api: ControlApi, options: { basePort: number; stateDir: string; env: NodeJS.ProcessEnv; otlp?: string | undefined }): Promise<RunningInstance[]> {
  const running: (RunningInstance & { sidecar: Started })[] = [];
  // --otlp alone decides where the sidecars' traces go, as it does for the gateway (which never
  // sees this shell's environment): an endpoint exported in the shell is not inherited.
  const { OTEL_EXPORTER_OTLP_ENDPOINT: _endpoint, WEFT_SIDECAR_OTLP_ENDPOINT: _sidecarEndpoint, ...sidecarEnv } = options.env;
  for (const [index, instance] of BOOKINFO.entries()) {
    const ports = instancePorts(options.basePort, index);
    const { token } = (await api.call<{ token: string }>('POST', '/v1/identity/join-tokens', { body: { service: instance.service, namespace: 'default', ttl: '15m', uses: 1 } })).body;
    group.start(instance.id, process.execPath, [join(EXAMPLES, instance.file)], {
      env: { ...options.env, ...instance.env, PORT: String(ports.app), HTTP_PROXY: `http://127.0.0.1:${ports.outbound}` },
    });
    const sidecar = group.start(
      `${instance.id}-sidecar`,
      process.execPath,
      [
        join(PACKAGE_ROOT, 'bin/weft.js'), 'sidecar',
        '--service', instance.service,
        '--instance-id', instance.id,
        '--app-port', String(ports.app),
        '--control', api.url,
        '--inbound-port', String(ports.inbound),
        '--outbound-port', String(ports.outbound),
        '--admin-port', String(ports.admin),
        '--state-dir', resolve(options.stateDir, 'sidecars', instance.id),
        '--drain-seconds', '2',
        ...(instance.labels ? ['--labels', instance.labels] : []),
        ...(options.otlp ? ['--otlp-endpoint', options.otlp] : []),
      ],
      { env: { ...sidecarEnv, WEFT_SIDECAR_JOIN_TOKEN: token } },
    );
    running.push({ instance, ports, sidecar });
  }
  for (const api of EDGE_API) group.start(api.id, process.execPath, [join(EXAMPLES, 'edge-api.ts')], { env: { ...options.env, PORT: String(api.port), TRACK: api.track } });
  await Promise.all(running.map(({ sidecar, ports }) => waitForHttp(`http://127.0.0.1:${ports.admin}/ready`, sidecar, `sidecar ${sidecar.name}`, 60_000, (status) => status === 200)));
  return running;
}
