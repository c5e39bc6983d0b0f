// A gRPC mesh for the sidecar tests: grpc-js Greeter instances, each behind its own sidecar
// inbound with an X.509-SVID of service `greeter`, registered as `default/greeter` with a
// caller's outbound (productpage, with its own SVID), and one grpc-js channel that dials the
// outbound with authority `greeter`. Everything it starts, close() stops.
import { startInbound } from '../../sidecar/proxy/inbound.ts';
import { startOutbound } from '../../sidecar/proxy/outbound.ts';
import type { ProxyListener } from '../../sidecar/types.ts';
import { svidFor, testCa } from '../sidecar/tls-certs.ts';
import { greeterClient, startGreeter } from './grpc-greeter.ts';
import type { GreeterServer } from './grpc-greeter.ts';
import { createMeshKeys, fixedSidecarView, PRODUCTPAGE, RecordingObserver, spiffeIdOf } from './sidecar-fixture.ts';

export interface GreeterMesh {
  servers: GreeterServer[];
  inbounds: ProxyListener[];
  outbound: ProxyListener;
  client: ReturnType<typeof greeterClient>;
  inObserver: RecordingObserver;
  outObserver: RecordingObserver;
  close(): Promise<void>;
}

/** `instances`: each greeter's name and, for a sick one, the gRPC status it fails every unary call with. */
export async function startGreeterMesh(policy: string, instances: { name: string; failAll?: number }[]): Promise<GreeterMesh> {
  const keys = await createMeshKeys();
  const ca = await testCa();
  const inObserver = new RecordingObserver();
  const outObserver = new RecordingObserver();
  const servers: GreeterServer[] = [];
  const inbounds: ProxyListener[] = [];
  for (const { name, failAll } of instances) {
    const server = await startGreeter(name, failAll ? { failAll } : {});
    servers.push(server);
    const view = await fixedSidecarView({ keys, policy, service: 'greeter', tls: await svidFor(ca, spiffeIdOf('default', 'greeter')) });
    inbounds.push(await startInbound({ view, observer: inObserver, port: 0, app: { host: '127.0.0.1', port: server.port } }));
  }
  const caller = await fixedSidecarView({ keys, policy, service: 'productpage', tls: await svidFor(ca, PRODUCTPAGE) });
  caller.setEndpoints({ 'default/greeter': inbounds.map((l, i) => ({ instanceId: `greeter-${i}`, address: '127.0.0.1', port: l.port, labels: {} })) });
  const outbound = await startOutbound({ view: caller, observer: outObserver, port: 0 });
  const client = greeterClient(outbound.port, 'greeter');
  return {
    servers,
    inbounds,
    outbound,
    client,
    inObserver,
    outObserver,
    async close() {
      client.close();
      await Promise.all([outbound, ...inbounds].map((l) => l.close(100)));
      await Promise.all(servers.map((s) => s.close()));
    },
  };
}
