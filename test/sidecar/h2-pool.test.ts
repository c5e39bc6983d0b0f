// The sidecar's HTTP/2 upstream pool on a real node:http2 server: concurrent POSTs with
// streamed bodies (what every gRPC call is) share one connection as streams, trailers come
// after the body, a server's GOAWAY moves new requests to a new connection, and a refused
// connection is reported as a connect failure.
import { createServer } from 'node:http2';
import type { Http2Server, ServerHttp2Stream } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { H2Pool } from '../../sidecar/proxy/h2-pool.ts';
import type { DispatchHandler } from '../../sidecar/proxy/h2-pool.ts';

let server: Http2Server;
let port: number;
let sessions = 0;
let goAwayNext = false;

beforeAll(async () => {
  server = createServer();
  server.on('session', () => sessions++);
  server.on('stream', (stream: ServerHttp2Stream, headers) => {
    let bytes = 0;
    stream.on('data', (c: Buffer) => (bytes += c.length));
    stream.on('end', () => {
      if (goAwayNext) {
        goAwayNext = false;
        // close() sends GOAWAY before this stream's answer (so the client has it when the answer
        // ends) and ends the session once its streams have.
        stream.session?.close();
      }
      stream.respond({ ':status': 200, 'content-type': 'text/plain', 'x-path': String(headers[':path']) }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'x-bytes': String(bytes) }));
      stream.end(`got ${bytes}`);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

interface Result {
  status: number;
  body: string;
  trailers: Record<string, string>;
}

function send(pool: H2Pool, path: string, body: PassThrough | Buffer | null): Promise<Result> {
  return new Promise((resolve, reject) => {
    let status = 0;
    let text = '';
    const handler: DispatchHandler = {
      onConnect: () => undefined,
      onHeaders: (s) => ((status = s), true),
      onData: (c) => ((text += c.toString()), true),
      onComplete: (t) => resolve({ status, body: text, trailers: t as Record<string, string> }),
      onError: reject,
    };
    pool.dispatch({ method: 'POST', path, headers: ['host', 'greeter', 'content-type', 'application/grpc'], body }, handler);
  });
}

describe('H2Pool', () => {
  it('carries 50 concurrent POSTs with streamed bodies as streams of ONE connection, trailers after the body', async () => {
    const pool = new H2Pool(`http://127.0.0.1:${port}`);
    const before = sessions;
    const bodies = Array.from({ length: 50 }, () => new PassThrough());
    const results = bodies.map((b, i) => send(pool, `/call/${i}`, b));
    // Every request is open (its body not yet ended) before any finishes.
    bodies.forEach((b, i) => b.end(Buffer.alloc(i + 1)));
    const all = await Promise.all(results);
    expect(sessions - before).toBe(1);
    all.forEach((r, i) => expect(r).toMatchObject({ status: 200, body: `got ${i + 1}`, trailers: { 'x-bytes': String(i + 1) } }));
    await pool.close();
  });

  it("moves new requests to a new connection after the server's GOAWAY", async () => {
    const pool = new H2Pool(`http://127.0.0.1:${port}`);
    const before = sessions;
    goAwayNext = true;
    expect((await send(pool, '/first', Buffer.from('a'))).status).toBe(200);
    expect((await send(pool, '/second', Buffer.from('b'))).status).toBe(200);
    expect(sessions - before).toBe(2);
    await pool.close();
  });

  it('reports a refused connection as ECONNREFUSED (a connect failure), not a hang', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const dead = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const pool = new H2Pool(`http://127.0.0.1:${dead}`);
    try {
      await expect(send(pool, '/x', null)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    } finally {
      await pool.destroy();
    }
  });
});
