// Mesh policy on gRPC calls, seen by a client we did not write (grpc-js): an AccessPolicy's
// refusal arrives as PERMISSION_DENIED, an Authentication's as UNAUTHENTICATED, the route
// timeout of a grpc match shorter than the server ends the call with DEADLINE_EXCEEDED, and a
// sick instance's UNAVAILABLE is retried on a healthy one (the call's body, streamed without
// a length, kept for the retry). Outbound → mutual TLS (h2) → inbound →
// h2c grpc-js server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { doc } from '../support/compile-yaml.ts';
import { grpc, sayHello } from '../support/grpc-greeter.ts';
import type { GreeterServer, HelloReply } from '../support/grpc-greeter.ts';
import { startGreeterMesh } from '../support/greeter-mesh.ts';
import type { GreeterMesh } from '../support/greeter-mesh.ts';
import { meshYaml } from '../support/sidecar-fixture.ts';
import type { RecordingObserver } from '../support/sidecar-fixture.ts';

let mesh: GreeterMesh;
let client: GreeterMesh['client'];
let servers: GreeterServer[];
let inObserver: RecordingObserver;
let outObserver: RecordingObserver;

function policy(): string {
  return [
    meshYaml('strict'),
    doc('Service', 'productpage', 'port: 9080'),
    doc('Service', 'greeter', 'port: 50051\nprotocol: grpc'),
    doc(
      'Route',
      'greeter',
      `mesh: { services: [greeter] }
rules:
  - name: say-hello
    matches: [{ grpc: { service: helloworld.Greeter, method: SayHello } }]
    backends: [{ service: greeter }]
    timeout: 500ms
    retries: { attempts: 2, retryOn: [unavailable], budget: { percent: 100, minRetriesPerSecond: 100 } }
  - name: greeter
    matches: [{ grpc: { service: helloworld.Greeter } }]
    backends: [{ service: greeter }]`,
    ),
    doc(
      'Route',
      'greeter-collect',
      `mesh: { services: [greeter] }
rules:
  - name: collect
    matches: [{ grpc: { service: helloworld.Greeter, method: Collect } }]
    backends: [{ service: greeter }]`,
    ),
    doc(
      'Authentication',
      'collect-users',
      `targetRefs: [{ kind: Route, name: greeter-collect }]
mode: required
jwt:
  - name: users
    issuer: https://issuer.grpc.test
    audiences: [greeter]
    jwks: { keys: [{ kty: EC, crv: P-256, x: f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU, y: x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0 }] }`,
    ),
    doc('AccessPolicy', 'no-counting', 'targetRefs: [{ kind: Service, name: greeter }]\naction: deny\nrules:\n  - to: { paths: ["/helloworld.Greeter/CountTo"] }'),
  ].join('---\n');
}

beforeAll(async () => {
  mesh = await startGreeterMesh(policy(), [{ name: 'g1' }, { name: 'sick', failAll: grpc.status.UNAVAILABLE }]);
  ({ client, servers, inObserver, outObserver } = mesh);
});

afterAll(() => mesh?.close());

describe('mesh policy on gRPC calls, through grpc-js', () => {
  it('refuses a call an AccessPolicy denies with PERMISSION_DENIED and the policy’s reason', async () => {
    const e = await new Promise<grpc.ServiceError>((resolve, reject) => {
      const call = client.CountTo({ to: 3 });
      call.on('data', (m: HelloReply) => reject(new Error(`unexpected message ${m.message}`)));
      call.on('error', resolve);
    });
    expect(e.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(e.details).toContain('denied by AccessPolicy default/no-counting');
    expect(inObserver.requests.at(-1)).toMatchObject({ direction: 'inbound', status: 200, grpcStatus: grpc.status.PERMISSION_DENIED });
  });

  it('ends a call the server is slower than the route timeout for with DEADLINE_EXCEEDED', async () => {
    const e = await sayHello(client, { name: 'x', delayMs: 5000 }).catch((x: grpc.ServiceError) => x);
    expect(e).toMatchObject({ code: grpc.status.DEADLINE_EXCEEDED });
  });

  it('ends a call an Authentication refuses with UNAUTHENTICATED', async () => {
    const e = await new Promise<grpc.ServiceError>((resolve) => {
      const call = client.Collect((err) => resolve(err as grpc.ServiceError));
      call.write({ name: 'a' });
      call.end();
    });
    expect(e.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(inObserver.requests.at(-1)).toMatchObject({ direction: 'inbound', grpcStatus: grpc.status.UNAUTHENTICATED });
  });

  it("retries a sick instance's UNAVAILABLE on the healthy one: every call succeeds", async () => {
    const [healthy, sick] = servers as [GreeterServer, GreeterServer];
    const before = { healthy: healthy.calls, sick: sick.calls, retries: outObserver.retries.length };
    for (let i = 0; i < 20; i++) expect((await sayHello(client, { name: String(i) })).reply.server).toBe('g1');
    expect(healthy.calls - before.healthy).toBe(20);
    // Round robin sent some first tries to the sick instance; each of those was retried once.
    const sickTries = sick.calls - before.sick;
    expect(sickTries).toBeGreaterThan(0);
    expect(outObserver.retries.length - before.retries).toBe(sickTries);
  });
});
