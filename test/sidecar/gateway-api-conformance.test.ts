// The Gateway API conformance cases (test/conformance/gateway-api/) against a real sidecar
// outbound on 127.0.0.1: the app's calls name the mesh service `echo` as their Host, whose mesh
// route (each group's routes, attached as GAMMA attaches an HTTPRoute to a Service) sends them
// to the echo backends, real servers on 127.0.0.1 (test/support/upstream-server.ts); the
// GRPCRoute cases' calls come from a grpc-js client over h2c to GrpcEcho servers
// (test/support/grpc-echo.ts).
import { afterAll, beforeAll } from 'vitest';
import { startOutbound } from '../../sidecar/proxy/outbound.ts';
import type { ProxyListener } from '../../sidecar/types.ts';
import type { CapturedRequest } from '../conformance/gateway-api/compare-round-trip.ts';
import { describeGatewayApiConformance } from '../conformance/gateway-api/conformance-suite.ts';
import type { ConformancePlane, PlaneAnswer, PlaneRequest } from '../conformance/gateway-api/conformance-suite.ts';
import { GATEWAY_API_GROUPS } from '../conformance/gateway-api/index.ts';
import { GRPC_BACKENDS, groupPolicy, INFRA_BACKENDS, MESH_SERVICE } from '../conformance/gateway-api/policy.ts';
import { callGrpcEcho, grpcEchoClient, startGrpcEcho } from '../support/grpc-echo.ts';
import type { GrpcEchoServer } from '../support/grpc-echo.ts';
import { createMeshKeys, fixedSidecarView, RecordingObserver, send } from '../support/sidecar-fixture.ts';
import type { FixedView } from '../support/sidecar-fixture.ts';
import { startUpstream } from '../support/upstream-server.ts';
import type { UpstreamServer } from '../support/upstream-server.ts';

let backends: UpstreamServer[] = [];
let grpcBackends: GrpcEchoServer[] = [];
let grpcClient: ReturnType<typeof grpcEchoClient> | undefined;
let view: FixedView;
let outbound: ProxyListener;
const ports: Record<string, number> = {};

function flat(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

function echoed(json: Record<string, unknown> | undefined): CapturedRequest | null {
  if (!json || typeof json.upstream !== 'string' || typeof json.url !== 'string' || typeof json.headers !== 'object') return null;
  const headers = flat(json.headers as Record<string, string | string[]>);
  return { backend: json.upstream, method: String(json.method), path: json.url, host: headers.host ?? '', headers };
}

let applied = '';

const sidecar: ConformancePlane = {
  name: 'sidecar',
  ports,
  async apply(documents) {
    const key = JSON.stringify(documents);
    if (key === applied) return;
    await view.setPolicy(documents.join('\n---\n'));
    applied = key;
  },
  async roundTrip(r: PlaneRequest): Promise<PlaneAnswer> {
    const reply = await send(outbound.port, { host: r.authority, path: r.path, method: r.method, headers: r.headers });
    const headers = flat(reply.headers);
    const seen = headers['content-type'] === 'application/json' ? echoed(reply.json) : null;
    return { url: `${r.scheme}://${r.authority}${r.path}`, response: { status: reply.status, headers }, seen };
  },
  async mirrored(backend, url, count) {
    const res = await fetch(`http://127.0.0.1:${ports[backend]}/__await?url=${encodeURIComponent(url)}&count=${count}&timeoutMs=5000`);
    return ((await res.json()) as { count: number }).count;
  },
  async grpcCall(method, metadata) {
    // The app's native gRPC channel to its outbound names the mesh service as the authority.
    grpcClient ??= grpcEchoClient(outbound.port, MESH_SERVICE);
    const { code, response } = await callGrpcEcho(grpcClient, method, metadata);
    return { code, backend: response?.assertions?.context?.pod ?? null, fullyQualifiedMethod: response?.assertions?.fullyQualifiedMethod ?? null };
  },
};

beforeAll(async () => {
  [backends, grpcBackends] = await Promise.all([Promise.all(INFRA_BACKENDS.map(startUpstream)), Promise.all(GRPC_BACKENDS.map(startGrpcEcho))]);
  for (const b of [...backends, ...grpcBackends]) ports[b.name] = b.port;
  const services = groupPolicy({ test: 'services only', source: [], routes: [], cases: [] }, 'sidecar', ports);
  view = await fixedSidecarView({ keys: await createMeshKeys(), policy: services.join('\n---\n'), service: 'conformance-client' });
  outbound = await startOutbound({ view, observer: new RecordingObserver(), port: 0 });
});

afterAll(async () => {
  grpcClient?.close();
  await outbound?.close(100);
  await Promise.all([...backends, ...grpcBackends].map((b) => b.close()));
});

describeGatewayApiConformance(() => sidecar, GATEWAY_API_GROUPS, 'sidecar');
