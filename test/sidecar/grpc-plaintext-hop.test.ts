// A plaintext mesh hop (permissive, no X.509-SVIDs yet) carries HTTP/2 as h2c: a grpc-js call
// through outbound → h2c → inbound → h2c app keeps its streams and trailers, and the caller's
// JWT-SVID travels in the request instead of a client certificate.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInbound } from '../../sidecar/proxy/inbound.ts';
import { startOutbound } from '../../sidecar/proxy/outbound.ts';
import type { ProxyListener } from '../../sidecar/types.ts';
import { doc } from '../support/compile-yaml.ts';
import { greeterClient, sayHello, startGreeter } from '../support/grpc-greeter.ts';
import type { GreeterServer } from '../support/grpc-greeter.ts';
import { createMeshKeys, fixedSidecarView, meshYaml, PRODUCTPAGE, RecordingObserver } from '../support/sidecar-fixture.ts';

let server: GreeterServer;
let inbound: ProxyListener;
let outbound: ProxyListener;
let client: ReturnType<typeof greeterClient>;
const inObserver = new RecordingObserver();

beforeAll(async () => {
  const keys = await createMeshKeys();
  const policy = [meshYaml('permissive'), doc('Service', 'productpage', 'port: 9080'), doc('Service', 'greeter', 'port: 50051\nprotocol: grpc')].join('---\n');
  server = await startGreeter('plain');
  inbound = await startInbound({ view: await fixedSidecarView({ keys, policy, service: 'greeter' }), observer: inObserver, port: 0, app: { host: '127.0.0.1', port: server.port } });
  const caller = await fixedSidecarView({ keys, policy, service: 'productpage' });
  caller.setEndpoints({ 'default/greeter': [{ instanceId: 'greeter-1', address: '127.0.0.1', port: inbound.port, labels: {} }] });
  outbound = await startOutbound({ view: caller, observer: new RecordingObserver(), port: 0 });
  client = greeterClient(outbound.port, 'greeter');
});

afterAll(async () => {
  client?.close();
  await Promise.all([outbound?.close(100), inbound?.close(100)]);
  await server?.close();
});

describe('gRPC over a plaintext (h2c) mesh hop', () => {
  it('arrives at the inbound as HTTP/2 in plaintext, the caller known by its JWT-SVID, trailers intact', async () => {
    const r = await sayHello(client, { name: 'h2c' });
    expect(r.reply.message).toBe('hello h2c');
    expect(r.trailers.get('x-trailer-bin')).toEqual([Buffer.from([0, 1, 2, 255])]);
    expect(inObserver.transports.at(-1)?.transport).toBe('plaintext');
    expect(inObserver.requests.at(-1)).toMatchObject({ direction: 'inbound', protocol: 'HTTP/2', peer: PRODUCTPAGE, grpcStatus: 0 });
  });
});
