// The outbound port takes HTTP/1.1 and cleartext HTTP/2 with prior knowledge on one port (the
// connection preface decides), routing an HTTP/2 request by `:authority` as it routes HTTP/1.1
// by Host. Driven by clients we did not write: curl --http2-prior-knowledge and h2load (Debian
// nghttp2-client, installed by the test when missing). The app behind is a plain HTTP/1.1
// server: the sidecar speaks each side's protocol.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyFirstBytes } from '../../sidecar/proxy/front-door.ts';
import { startOutbound } from '../../sidecar/proxy/outbound.ts';
import type { ProxyListener } from '../../sidecar/types.ts';
import { doc } from '../support/compile-yaml.ts';
import { ensureDebianCommands } from '../support/debian-packages.ts';
import { createMeshKeys, fixedSidecarView, meshYaml, RecordingObserver, send } from '../support/sidecar-fixture.ts';
import { startUpstream } from '../support/upstream-server.ts';
import type { UpstreamServer } from '../support/upstream-server.ts';

/** Runs a client process without blocking this process's event loop (the sidecar under test runs in it). */
async function run(cmd: string, args: string[], timeout: number): Promise<{ status: number; stdout: string; stderr: string }> {
  try {
    const r = await promisify(execFile)(cmd, args, { encoding: 'utf8', timeout });
    return { status: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string };
    return { status: typeof x.code === 'number' ? x.code : -1, stdout: x.stdout ?? '', stderr: x.stderr ?? String(e) };
  }
}

let app: UpstreamServer;
let outbound: ProxyListener;
let tools: Record<string, string>;
const observer = new RecordingObserver();

beforeAll(async () => {
  tools = ensureDebianCommands({ curl: 'curl', h2load: 'nghttp2-client' }).paths;
  app = await startUpstream('reviews-app');
  const policy = [meshYaml('permissive'), doc('Service', 'reviews', `port: ${app.port}\nendpoints: [{ address: 127.0.0.1 }]`)].join('---\n');
  const view = await fixedSidecarView({ keys: await createMeshKeys(), policy, service: 'productpage' });
  outbound = await startOutbound({ view, observer, port: 0 });
}, 300_000);

afterAll(async () => {
  await outbound?.close(100);
  await app?.close();
});

describe('first bytes of a connection', () => {
  const preface = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
  it('tell TLS, the HTTP/2 preface and HTTP/1.x apart, waiting while a prefix could still be the preface', () => {
    expect(classifyFirstBytes(Buffer.from([0x16, 3, 1]), true)).toBe('tls');
    expect(classifyFirstBytes(Buffer.from([0x16, 3, 1]), false)).toBe('http1');
    expect(classifyFirstBytes(preface, false)).toBe('h2c');
    expect(classifyFirstBytes(preface.subarray(0, 10), false)).toBeUndefined();
    expect(classifyFirstBytes(Buffer.from('POST / HTTP/1.1\r\n'), false)).toBe('http1');
    expect(classifyFirstBytes(Buffer.from('PUT'), false)).toBe('http1');
    expect(classifyFirstBytes(Buffer.from('PRI * HTTP/1.1\r\n'), false)).toBe('http1');
  });
});

describe('outbound over h2c', () => {
  it('curl --http2-prior-knowledge reaches the service named by :authority; the HTTP/1.1 app answers', async () => {
    const r = await run(tools.curl as string, ['-sS', '--http2-prior-knowledge', '-H', 'Host: reviews', '-w', '\n%{http_version} %{http_code}', `http://127.0.0.1:${outbound.port}/reviews/7?x=1`], 20_000);
    expect(r.stderr).toBe('');
    const [body, meta] = r.stdout.split('\n');
    expect(meta).toBe('2 200');
    expect(JSON.parse(body as string)).toMatchObject({ upstream: 'reviews-app', url: '/reviews/7?x=1', headers: { host: 'reviews' } });
    expect(observer.requests.at(-1)).toMatchObject({ direction: 'outbound', protocol: 'HTTP/2', service: 'default/reviews', status: 200 });
  });

  it('answers HTTP/1.1 on the same port', async () => {
    const r = await send(outbound.port, { host: 'reviews', path: '/h1' });
    expect(r.status).toBe(200);
    expect(observer.requests.at(-1)).toMatchObject({ protocol: 'HTTP/1.1', status: 200 });
  });

  it('h2load: 2 000 requests on 2 connections with 20 streams each all succeed', async () => {
    const r = await run(tools.h2load as string, ['-n', '2000', '-c', '2', '-m', '20', '-H', ':authority: reviews', `http://127.0.0.1:${outbound.port}/load`], 60_000);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/requests: 2000 total, 2000 started, 2000 done, 2000 succeeded, 0 failed, 0 errored, 0 timeout/);
    expect(r.stdout).toMatch(/status codes: 2000 2xx, 0 3xx, 0 4xx, 0 5xx/);
  });

  it('an unknown service over HTTP/2 gets the mesh error, as over HTTP/1.1', async () => {
    const r = await run(tools.curl as string, ['-sS', '--http2-prior-knowledge', '-H', 'Host: nowhere', '-w', '\n%{http_code}', `http://127.0.0.1:${outbound.port}/`], 20_000);
    const [body, code] = r.stdout.split('\n');
    expect(code).toBe('502');
    expect(JSON.parse(body as string)).toMatchObject({ error: { code: 'unknown_service' } });
  });
});
