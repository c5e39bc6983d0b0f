// gRPC through the mesh with clients and servers we did not write (grpc-js): an app's one
// channel dials its outbound port with authority `greeter`; the outbound balances each call
// over three registered greeter instances, reaching their sidecars over mutual TLS with h2
// negotiated by ALPN; each inbound speaks h2c to its grpc-js server. Unary, server, client and
// bidirectional streaming, metadata and trailers (binary included) cross both sidecars.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { doc } from '../support/compile-yaml.ts';
import { grpc, sayHello } from '../support/grpc-greeter.ts';
import type { GreeterServer, HelloReply } from '../support/grpc-greeter.ts';
import { startGreeterMesh } from '../support/greeter-mesh.ts';
import type { GreeterMesh } from '../support/greeter-mesh.ts';
import { meshYaml, PRODUCTPAGE } from '../support/sidecar-fixture.ts';
import type { RecordingObserver } from '../support/sidecar-fixture.ts';

let mesh: GreeterMesh;
let client: GreeterMesh['client'];
let servers: GreeterServer[];
let inObserver: RecordingObserver;
let outObserver: RecordingObserver;

function policy(): string {
  return [meshYaml('strict'), doc('Service', 'productpage', 'port: 9080'), doc('Service', 'greeter', 'port: 50051\nprotocol: grpc')].join('---\n');
}

beforeAll(async () => {
  mesh = await startGreeterMesh(policy(), [{ name: 'g1' }, { name: 'g2' }, { name: 'g3' }]);
  ({ client, servers, inObserver, outObserver } = mesh);
});

afterAll(() => mesh?.close());

describe('gRPC through outbound → mTLS (h2) → inbound → h2c app', () => {
  it('answers a unary call; header metadata, trailing metadata (binary too) and the mesh hop cross both sidecars', async () => {
    const r = await sayHello(client, { name: 'weft' }, { metadata: { 'x-echo': 'ping' } });
    expect(r.reply.message).toBe('hello weft');
    expect(r.headers.get('x-echo')).toEqual(['ping']);
    expect(r.trailers.get('x-trailer-bin')).toEqual([Buffer.from([0, 1, 2, 255])]);
    // The app sees the caller's verified identity, as HTTP apps do.
    expect(r.reply.seenMetadata).toContain('x-weft-peer-id');
    expect(inObserver.transports.at(-1)?.transport).toBe('mtls');
    // Both hops are HTTP/2 and log the call's gRPC status.
    expect(inObserver.requests.at(-1)).toMatchObject({ direction: 'inbound', peer: PRODUCTPAGE, status: 200, grpcStatus: 0, protocol: 'HTTP/2', path: '/helloworld.Greeter/SayHello' });
    expect(outObserver.requests.at(-1)).toMatchObject({ direction: 'outbound', service: 'default/greeter', status: 200, grpcStatus: 0, protocol: 'HTTP/2' });
  });

  it('balances each call of ONE channel across the three endpoints (per-request, not per-connection)', async () => {
    const before = servers.map((s) => s.calls);
    const replies: HelloReply[] = [];
    for (let i = 0; i < 300; i++) replies.push((await sayHello(client, { name: String(i) })).reply);
    const counts = servers.map((s, i) => s.calls - (before[i] as number));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(300);
    for (const n of counts) {
      expect(n).toBeGreaterThanOrEqual(60);
      expect(n).toBeLessThanOrEqual(140);
    }
  });

  it('streams a server-streaming call through without buffering it whole', async () => {
    const got: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const call = client.CountTo({ to: 500 });
      call.on('data', (m: HelloReply) => got.push(m.message));
      call.on('error', reject);
      call.on('end', () => resolve());
    });
    expect(got).toHaveLength(500);
    expect(got.at(-1)).toBe('500');
  });

  it('carries a client-streaming call', async () => {
    const reply = await new Promise<HelloReply>((resolve, reject) => {
      const call = client.Collect((e, r) => (e ? reject(e) : resolve(r as HelloReply)));
      for (let i = 0; i < 200; i++) call.write({ name: String(i) });
      call.end();
    });
    expect(reply.message).toBe('collected 200');
  });

  it('echoes 10 000 messages of a bidirectional stream, each answered before the next is sent', async () => {
    const n = 10_000;
    const call = client.Chat();
    let received = 0;
    let last = '';
    await new Promise<void>((resolve, reject) => {
      call.on('data', (m: HelloReply) => {
        received++;
        last = m.message;
        // Ping-pong: the next message goes only after the echo came back, so nothing is
        // buffered to the end of the stream on either side.
        if (received < n) call.write({ name: String(received) });
        else call.end();
      });
      call.on('error', reject);
      call.on('end', () => resolve());
      call.write({ name: '0' });
    });
    expect(received).toBe(n);
    expect(last).toBe(String(n - 1));
  });

  it('passes an app error status through as the app sent it', async () => {
    const e = await sayHello(client, { name: 'x', failWith: grpc.status.FAILED_PRECONDITION }).catch((x: grpc.ServiceError) => x);
    expect(e).toMatchObject({ code: grpc.status.FAILED_PRECONDITION, details: expect.stringMatching(/fails as asked/) });
    // A trailers-only answer from the app stays trailers-only, and is logged with its status.
    expect(outObserver.requests.at(-1)).toMatchObject({ status: 200, grpcStatus: grpc.status.FAILED_PRECONDITION });
  });

  it('survives 200 calls the client cancels mid-flight (1 ms deadlines, 32 at a time), then serves the next', async () => {
    const cancelled: Promise<unknown>[] = [];
    for (let i = 0; i < 200; i++) {
      cancelled.push(sayHello(client, { name: String(i), delayMs: 5 }, { deadlineMs: 1 }).catch((e: grpc.ServiceError) => e.code));
      if (cancelled.length % 32 === 0) await Promise.all(cancelled.slice(-32));
    }
    const codes = new Set(await Promise.all(cancelled));
    expect([...codes].every((c) => c === grpc.status.DEADLINE_EXCEEDED || typeof c === 'object')).toBe(true);
    expect((await sayHello(client, { name: 'after' })).reply.message).toBe('hello after');
  });
});
