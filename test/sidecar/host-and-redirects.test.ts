// What goes on the wire between an app, its sidecars and the app it calls, through real
// sockets: the called app sees the authority the caller named (HTTP/1.1 Host, HTTP/2
// :authority), or the rule's rewrite.host, on every hop (outbound → inbound → app); a
// redirect's Location keeps the port the app addressed (the mesh's listener for that
// service) unless it sets scheme or port (Gateway API); and an answer the sidecar makes
// itself to HEAD is the status alone: no body, no Content-Type, no Content-Length.
import { connect, createServer } from 'node:http2';
import type { Http2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInbound } from '../../sidecar/proxy/inbound.ts';
import { startOutbound } from '../../sidecar/proxy/outbound.ts';
import type { ProxyListener } from '../../sidecar/types.ts';
import { doc } from '../support/compile-yaml.ts';
import { createMeshKeys, fixedSidecarView, meshYaml, RecordingObserver, seenHeaders, send } from '../support/sidecar-fixture.ts';
import type { FixedView } from '../support/sidecar-fixture.ts';
import { startUpstream } from '../support/upstream-server.ts';
import type { UpstreamServer } from '../support/upstream-server.ts';

let app: UpstreamServer;
let h2App: Http2Server;
let reviews: ProxyListener; // HTTP/1.1 app behind it
let ratings: ProxyListener; // h2c app behind it (protocol: http2)
let outbound: ProxyListener;
let productpage: FixedView;
const observer = new RecordingObserver();

function policy(): string {
  return [
    meshYaml('permissive'),
    doc('Service', 'productpage', 'port: 9080'),
    doc('Service', 'reviews', 'port: 9080'),
    doc('Service', 'ratings', 'port: 9080\nprotocol: http2'),
    doc(
      'Route',
      'reviews',
      `mesh:
  services: [reviews]
rules:
  - name: renamed
    matches: [{ path: { prefix: /renamed } }]
    rewrite: { host: reviews.internal }
    backends: [{ service: reviews }]
  - name: prefixed
    matches: [{ path: { prefix: /old-prefix } }]
    redirect: { pathPrefix: /new-prefix }
  - name: elsewhere
    matches: [{ path: { prefix: /elsewhere } }]
    redirect: { host: details, statusCode: 307 }
  - name: secure
    matches: [{ path: { prefix: /secure } }]
    redirect: { scheme: https }
  - name: other-port
    matches: [{ path: { prefix: /other-port } }]
    redirect: { port: 8080 }
  - name: default
    backends: [{ service: reviews }]`,
    ),
  ].join('---\n');
}

/** An h2c app that echoes the request's pseudo-headers and Host as JSON. */
async function startH2App(): Promise<Http2Server> {
  const server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ authority: req.headers[':authority'] ?? null, host: req.headers.host ?? null, path: req.headers[':path'] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

/** One HTTP/2 (prior knowledge) request to the outbound: the status, headers and body. */
async function h2Get(authority: string, path: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const session = connect(`http://127.0.0.1:${outbound.port}`);
  try {
    return await new Promise((resolve, reject) => {
      const stream = session.request({ ':method': 'GET', ':path': path, ':authority': authority, ':scheme': 'http' });
      let headers: Record<string, unknown> = {};
      let body = '';
      stream.on('response', (h) => (headers = h));
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => (body += chunk));
      stream.on('end', () => resolve({ status: Number(headers[':status']), headers, body }));
      stream.on('error', reject);
    });
  } finally {
    session.close();
  }
}

beforeAll(async () => {
  app = await startUpstream('reviews-app');
  h2App = await startH2App();
  const keys = await createMeshKeys();
  const view = (service: string) => fixedSidecarView({ keys, policy: policy(), service });
  reviews = await startInbound({ view: await view('reviews'), observer, port: 0, app: { host: '127.0.0.1', port: app.port } });
  ratings = await startInbound({ view: await view('ratings'), observer, port: 0, app: { host: '127.0.0.1', port: (h2App.address() as AddressInfo).port } });
  productpage = await view('productpage');
  productpage.setEndpoints({
    'default/reviews': [{ instanceId: 'reviews-1', address: '127.0.0.1', port: reviews.port, labels: {} }],
    'default/ratings': [{ instanceId: 'ratings-1', address: '127.0.0.1', port: ratings.port, labels: {} }],
  });
  outbound = await startOutbound({ view: productpage, observer, port: 0 });
});

afterAll(async () => {
  await Promise.all([outbound, reviews, ratings].map((l) => l?.close(100)));
  await app?.close();
  await new Promise((resolve) => h2App?.close(resolve));
});

describe('the Host the called app sees (outbound → inbound → app)', () => {
  it('HTTP/1.1: the authority the caller named, port included, on every hop', async () => {
    for (const host of ['reviews:9080', 'reviews', 'reviews.default:9080']) {
      const r = await send(outbound.port, { host, path: '/r/1' });
      expect(r.status, r.text).toBe(200);
      expect(r.json?.upstream).toBe('reviews-app');
      expect(seenHeaders(r).host).toBe(host);
    }
    const proxied = await send(outbound.port, { host: 'reviews.default:9080', path: '/via-proxy', absoluteForm: true });
    expect(seenHeaders(proxied).host).toBe('reviews.default:9080');
  });

  it('the rule’s rewrite.host replaces it', async () => {
    const r = await send(outbound.port, { host: 'reviews:9080', path: '/renamed/x' });
    expect(r.status, r.text).toBe(200);
    expect(seenHeaders(r).host).toBe('reviews.internal');
  });

  it('HTTP/2 in, HTTP/1.1 app: the :authority becomes its Host', async () => {
    const r = await h2Get('reviews:9080', '/h2/1');
    expect(r.status, r.body).toBe(200);
    expect((JSON.parse(r.body) as { headers: Record<string, string> }).headers.host).toBe('reviews:9080');
  });

  it('HTTP/2 end to end (an http2 service): the app sees the :authority the caller named', async () => {
    const r = await h2Get('ratings:9080', '/stars/7');
    expect(r.status, r.body).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ authority: 'ratings:9080', host: null, path: '/stars/7' });
    const h1 = await send(outbound.port, { host: 'ratings', path: '/stars/8' });
    expect(h1.json).toEqual({ authority: 'ratings', host: null, path: '/stars/8' });
  });
});

describe('redirects in the mesh', () => {
  it('replace the matched prefix and keep the port the app addressed', async () => {
    const r = await send(outbound.port, { host: 'reviews:9080', path: '/old-prefix/a/b?x=1' });
    expect([r.status, r.headers.location]).toEqual([302, 'http://reviews:9080/new-prefix/a/b?x=1']);
    const bare = await send(outbound.port, { host: 'reviews', path: '/old-prefix' });
    expect([bare.status, bare.headers.location]).toEqual([302, 'http://reviews/new-prefix']);
    const other = await send(outbound.port, { host: 'reviews:9080', path: '/elsewhere?y' });
    expect([other.status, other.headers.location]).toEqual([307, 'http://details:9080/elsewhere?y']);
  });

  it('a scheme set takes its well-known port; a port set is written', async () => {
    const secure = await send(outbound.port, { host: 'reviews:9080', path: '/secure/x' });
    expect([secure.status, secure.headers.location]).toEqual([302, 'https://reviews/secure/x']);
    const port = await send(outbound.port, { host: 'reviews:9080', path: '/other-port' });
    expect(port.headers.location).toBe('http://reviews:8080/other-port');
  });

  it('over HTTP/2 as over HTTP/1.1', async () => {
    const r = await h2Get('reviews:9080', '/old-prefix/z');
    expect([r.status, r.headers.location]).toEqual([302, 'http://reviews:9080/new-prefix/z']);
  });
});

describe('HEAD answered by the sidecar itself', () => {
  it('carries the status alone: no body, no Content-Type, no Content-Length; the connection stays usable', async () => {
    const get = await send(outbound.port, { host: 'example.com', path: '/' });
    expect([get.status, get.headers['content-type']]).toEqual([502, 'application/json']);
    expect(get.json).toMatchObject({ error: { code: 'unknown_service' } });
    for (const [host, status] of [
      ['example.com', 502],
      ['reviews:abc', 400],
    ] as const) {
      const head = await send(outbound.port, { host, path: host === 'example.com' ? '/' : '/old-prefix', method: 'HEAD' });
      expect([head.status, head.headers['content-type'], head.headers['content-length'], head.text], host).toEqual([status, undefined, undefined, '']);
    }
    const after = await send(outbound.port, { host: 'reviews', path: '/after-head' });
    expect(after.status).toBe(200);
  });

  it('over HTTP/2 too', async () => {
    const session = connect(`http://127.0.0.1:${outbound.port}`);
    try {
      const head = await new Promise<Record<string, unknown>>((resolve, reject) => {
        const stream = session.request({ ':method': 'HEAD', ':path': '/', ':authority': 'example.com', ':scheme': 'http' });
        stream.on('response', resolve);
        stream.on('error', reject);
        stream.resume();
      });
      expect([head[':status'], head['content-type'], head['content-length']]).toEqual([502, undefined, undefined]);
    } finally {
      session.close();
    }
  });

  it('the app’s own answer to HEAD passes as the app wrote it', async () => {
    const head = await send(outbound.port, { host: 'reviews', path: '/status/404', method: 'HEAD' });
    expect([head.status, head.headers['content-type'], head.text]).toEqual([404, 'application/json', '']);
  });
});
