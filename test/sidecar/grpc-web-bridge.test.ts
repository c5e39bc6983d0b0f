// The inbound bridges gRPC-Web (HTTP/1.1, as the edge gateway or a browser sends it) to a
// native gRPC app (grpc-js over h2c): binary and base64 (`-text`) bodies, trailers as the
// body's last frame, server streaming, and a trailers-only error. The gRPC-Web requests are
// framed by hand per grpc/grpc PROTOCOL-WEB.md and sent with undici over HTTP/1.1.
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Base64StreamDecoder } from '../../core/grpc/grpc-web.ts';
import { startInbound } from '../../sidecar/proxy/inbound.ts';
import type { ProxyListener } from '../../sidecar/types.ts';
import { doc } from '../support/compile-yaml.ts';
import { grpcWebFrame, helloRequest, parseGrpcWebFrames } from '../support/grpc-web-frames.ts';
import { grpc, startGreeter } from '../support/grpc-greeter.ts';
import type { GreeterServer } from '../support/grpc-greeter.ts';
import { createMeshKeys, fixedSidecarView, meshYaml, RecordingObserver } from '../support/sidecar-fixture.ts';

let server: GreeterServer;
let inbound: ProxyListener;
let pool: Pool;
const observer = new RecordingObserver();

async function call(method: string, message: Uint8Array, contentType = 'application/grpc-web+proto'): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  const text = contentType.startsWith('application/grpc-web-text');
  const r = await pool.request({
    method: 'POST',
    path: `/helloworld.Greeter/${method}`,
    headers: { 'content-type': contentType, 'x-grpc-web': '1', host: 'greeter' },
    body: text ? Buffer.from(grpcWebFrame(message)).toString('base64') : grpcWebFrame(message),
  });
  const raw = Buffer.from(await r.body.arrayBuffer());
  if (!text) return { status: r.statusCode, headers: r.headers, body: raw };
  const decoder = new Base64StreamDecoder();
  const body = Buffer.from(decoder.push(raw));
  decoder.end();
  return { status: r.statusCode, headers: r.headers, body };
}

beforeAll(async () => {
  server = await startGreeter('g1');
  const policy = [meshYaml('permissive'), doc('Service', 'greeter', 'port: 50051\nprotocol: grpc')].join('---\n');
  const view = await fixedSidecarView({ keys: await createMeshKeys(), policy, service: 'greeter' });
  inbound = await startInbound({ view, observer, port: 0, app: { host: '127.0.0.1', port: server.port } });
  pool = new Pool(`http://127.0.0.1:${inbound.port}`);
});

afterAll(async () => {
  await pool?.close();
  await inbound?.close(100);
  await server?.close();
});

describe('gRPC-Web → native gRPC at the inbound', () => {
  it('answers a unary call: the reply frame, then the trailers (binary metadata too) as the last frame', async () => {
    const r = await call('SayHello', helloRequest('web'));
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/grpc-web+proto');
    const f = parseGrpcWebFrames(r.body);
    expect(f.messages).toEqual(['hello web']);
    expect(f.trailers['grpc-status']).toBe('0');
    expect(Buffer.from(f.trailers['x-trailer-bin'] as string, 'base64')).toEqual(Buffer.from([0, 1, 2, 255]));
    expect(observer.requests.at(-1)).toMatchObject({ direction: 'inbound', protocol: 'HTTP/1.1', grpcStatus: 0, status: 200 });
  });

  it('speaks base64 both ways for application/grpc-web-text', async () => {
    const r = await call('SayHello', helloRequest('text'), 'application/grpc-web-text');
    expect(r.headers['content-type']).toBe('application/grpc-web-text+proto');
    const f = parseGrpcWebFrames(r.body);
    expect(f.messages).toEqual(['hello text']);
    expect(f.trailers['grpc-status']).toBe('0');
  });

  it('streams a server-streaming call frame by frame, then the trailers', async () => {
    const r = await call('CountTo', new Uint8Array([0x08, 3]));
    const f = parseGrpcWebFrames(r.body);
    expect(f.messages).toEqual(['1', '2', '3']);
    expect(f.trailers['grpc-status']).toBe('0');
  });

  it("passes the app's trailers-only error as one head with grpc-status, no body", async () => {
    const r = await call('SayHello', helloRequest('x', grpc.status.FAILED_PRECONDITION));
    expect(r.status).toBe(200);
    expect(r.headers['grpc-status']).toBe(String(grpc.status.FAILED_PRECONDITION));
    expect(r.body.length).toBe(0);
  });

  it('passes plain HTTP/1.1 to a gRPC app untouched when it is not gRPC-Web (the app answers as it will)', async () => {
    const r = await pool.request({ method: 'GET', path: '/', headers: { host: 'greeter' } });
    await r.body.dump();
    expect(r.statusCode).toBeGreaterThanOrEqual(400);
  });
});
