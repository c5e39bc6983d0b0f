// Request lines without an HTTP/1.x version never reach a sidecar handler. Node's parser reads
// `GET /a` + CRLF as HTTP/0.9 and then parses the lines after it as headers, so a CR LF
// smuggled into a request target would become a header the app sees. Real listeners on
// 127.0.0.1, raw bytes over node:net (and node:tls for the mTLS half of the inbound port).
import { createServer } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen } from '../../sidecar/proxy/listener.ts';
import type { DownstreamRequest, DownstreamResponse } from '../../sidecar/proxy/front-door.ts';
import { clientConnectOptions } from '../../sidecar/tls/client-tls.ts';
import type { ProxyListener, WorkloadTls } from '../../sidecar/types.ts';
import { svidFor, testCa } from './tls-certs.ts';

const REVIEWS = 'spiffe://weft.local/ns/default/sa/reviews';
const PRODUCTPAGE = 'spiffe://weft.local/ns/default/sa/productpage';

const SMUGGLED = 'GET /a\r\nX-Injected: 1\r\n\r\n';

interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

function parseReply(raw: string): Reply {
  const split = raw.indexOf('\r\n\r\n');
  const [statusLine = '', ...lines] = raw.slice(0, split).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(statusLine.split(' ')[1]), headers, body: raw.slice(split + 4) };
}

/** Writes `bytes` on a fresh connection and reads until the server closes it. */
function exchange(port: number, bytes: string, tls?: WorkloadTls): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const socket = tls ? tlsConnect({ host: '127.0.0.1', port, ...clientConnectOptions(tls, [REVIEWS]) }) : netConnect(port, '127.0.0.1');
    let raw = '';
    socket.setEncoding('latin1');
    socket.on(tls ? 'secureConnect' : 'connect', () => socket.write(bytes));
    socket.on('data', (chunk: string) => (raw += chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(parseReply(raw)));
  });
}

interface Seen {
  url: string | undefined;
  headers: IncomingHttpHeaders;
}

async function recordingListener(seen: Seen[], mtls?: WorkloadTls): Promise<ProxyListener> {
  const handler = async (req: DownstreamRequest, res: DownstreamResponse): Promise<void> => {
    seen.push({ url: req.url, headers: req.headers });
    res.end('app');
  };
  const tls = mtls ? { material: () => mtls, trustDomain: () => 'weft.local' } : undefined;
  return listen('127.0.0.1', 0, handler, async () => {}, tls);
}

function expectRefused(reply: Reply, found: RegExp): void {
  expect(reply.status).toBe(400);
  expect(reply.headers['content-type']).toBe('application/json');
  expect(reply.headers.connection).toBe('close');
  const body = JSON.parse(reply.body) as { error: { code: string; message: string } };
  expect(body.error.code).toBe('bad_request');
  expect(body.error.message).toMatch(found);
}

describe("node:http's own reading of a versionless request line (why the sidecar refuses it)", () => {
  it('hands the line after `GET /a` to the handler as a header', async () => {
    const seen: Seen[] = [];
    const server = createServer((req, res) => {
      seen.push({ url: req.url, headers: req.headers });
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    try {
      await exchange((server.address() as AddressInfo).port, SMUGGLED);
      expect(seen).toEqual([{ url: '/a', headers: { 'x-injected': '1' } }]);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('sidecar listener (outbound, and the inbound without mTLS)', () => {
  const seen: Seen[] = [];
  let listener: ProxyListener;
  beforeAll(async () => {
    listener = await recordingListener(seen);
  });
  afterAll(() => listener.close(0));

  it('answers a versionless request line 400 bad_request and never calls the handler', async () => {
    const before = seen.length;
    expectRefused(await exchange(listener.port, SMUGGLED), /no HTTP\/1\.x version/);
    expectRefused(await exchange(listener.port, 'GET /a\r\n\r\n'), /no HTTP\/1\.x version/);
    expect(seen.length).toBe(before);
  });

  it('refuses versions it does not speak, written out', async () => {
    const before = seen.length;
    expectRefused(await exchange(listener.port, 'GET /a HTTP/0.9\r\nX-Injected: 1\r\n\r\n'), /no HTTP\/1\.x version/);
    expectRefused(await exchange(listener.port, 'GET /a HTTP/2.0\r\nHost: x\r\n\r\n'), /says HTTP\/2\.0/);
    expect(seen.length).toBe(before);
  });

  it('still serves HTTP/1.1 and HTTP/1.0', async () => {
    const before = seen.length;
    expect(await exchange(listener.port, 'GET /ok HTTP/1.1\r\nHost: reviews\r\nConnection: close\r\n\r\n')).toMatchObject({ status: 200, body: 'app' });
    expect(await exchange(listener.port, 'GET /ok HTTP/1.0\r\n\r\n')).toMatchObject({ status: 200, body: 'app' });
    expect(seen.slice(before).map((s) => s.url)).toEqual(['/ok', '/ok']);
  });
});

describe('sidecar inbound port with mTLS (plaintext and TLS on one port)', () => {
  const seen: Seen[] = [];
  let listener: ProxyListener;
  let clientTls: WorkloadTls;
  beforeAll(async () => {
    const ca = await testCa();
    const [serverTls, client] = await Promise.all([svidFor(ca, REVIEWS), svidFor(ca, PRODUCTPAGE)]);
    clientTls = client;
    listener = await recordingListener(seen, serverTls);
  });
  afterAll(() => listener.close(0));

  it('refuses a versionless request line on the plaintext half', async () => {
    const before = seen.length;
    expectRefused(await exchange(listener.port, SMUGGLED), /no HTTP\/1\.x version/);
    expect(seen.length).toBe(before);
  });

  it('refuses a versionless request line inside mutual TLS', async () => {
    const before = seen.length;
    expectRefused(await exchange(listener.port, SMUGGLED, clientTls), /no HTTP\/1\.x version/);
    expect(seen.length).toBe(before);
  });

  it('still serves HTTP/1.1 on both halves', async () => {
    const before = seen.length;
    const request = 'GET /ok HTTP/1.1\r\nHost: reviews\r\nConnection: close\r\n\r\n';
    expect(await exchange(listener.port, request)).toMatchObject({ status: 200, body: 'app' });
    expect(await exchange(listener.port, request, clientTls)).toMatchObject({ status: 200, body: 'app' });
    expect(seen.length).toBe(before + 2);
  });
});
