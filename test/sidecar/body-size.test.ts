// The route's body-size limit (`maxRequestBytes`) in the sidecar, over real sockets: outbound
// for `client`, inbound for `files` in front of a real app that records what it received
// (`bare` is the same app reached by outbound alone, as a service without a sidecar, so each
// listener is shown to hold the limit by itself). A declared oversize body is 413 before any
// upstream is called; a chunked one is counted as it streams and answered 413 (or cut, once a
// response head went out) with the upstream having seen at most the limit; a body of exactly
// the limit passes. Clients: curl and undici.
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startInbound } from '../../sidecar/proxy/inbound.ts';
import { startOutbound } from '../../sidecar/proxy/outbound.ts';
import type { ProxyListener } from '../../sidecar/types.ts';
import { waitFor } from '../support/basics.ts';
import { doc } from '../support/compile-yaml.ts';
import { createMeshKeys, fixedSidecarView, meshYaml, RecordingObserver, send } from '../support/sidecar-fixture.ts';

const LIMIT = 1000;
const MESH_DEFAULT = 4096;

/** What the app got for one request: bytes of body, and whether the body ended (else it was cut). */
interface AppRequest {
  path: string;
  bytes: number;
  complete: boolean;
  /** Settles when the request ended or was cut. */
  settled: Promise<void>;
}

let app: Server;
const seen: AppRequest[] = [];
let inbound: ProxyListener;
let outbound: ProxyListener;
const outboundLog = new RecordingObserver();

function startApp(): Promise<Server> {
  const server = createServer((req, res) => {
    let settle!: () => void;
    const r: AppRequest = { path: req.url ?? '/', bytes: 0, complete: false, settled: new Promise<void>((s) => (settle = s)) };
    seen.push(r);
    // `/early/…` answers its head before reading the body, as a streaming upload handler may.
    if (r.path.startsWith('/small/early')) res.writeHead(200, { 'content-type': 'text/plain' }).write('head sent\n');
    req.on('data', (c: Buffer) => (r.bytes += c.length));
    req.on('end', () => {
      r.complete = true;
      settle();
      res.end(JSON.stringify({ received: r.bytes }));
    });
    req.on('close', settle);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

beforeAll(async () => {
  app = await startApp();
  const appPort = (app.address() as AddressInfo).port;
  const keys = await createMeshKeys();
  const policy = (inboundPort: number) =>
    [
      meshYaml('permissive', `defaults:\n  maxRequestBytes: ${MESH_DEFAULT}`),
      doc('Service', 'files', `port: 9080${inboundPort ? `\nendpoints:\n  - { address: 127.0.0.1, port: ${inboundPort} }` : ''}`),
      doc('Service', 'bare', `port: 9080\nendpoints:\n  - { address: 127.0.0.1, port: ${appPort} }`),
      doc('Service', 'client', 'port: 9080'),
      ...['files', 'bare'].map((name) =>
        doc(
          'Route',
          name,
          `mesh:\n  services: [${name}]\nrules:\n  - name: small\n    matches: [{ path: { prefix: /small } }]\n    backends: [{ service: ${name} }]\n    maxRequestBytes: ${LIMIT}\n  - name: rest\n    backends: [{ service: ${name} }]`,
        ),
      ),
    ].join('---\n');
  inbound = await startInbound({ view: await fixedSidecarView({ keys, policy: policy(0), service: 'files' }), observer: new RecordingObserver(), port: 0, app: { host: '127.0.0.1', port: appPort } });
  outbound = await startOutbound({ view: await fixedSidecarView({ keys, policy: policy(inbound.port), service: 'client' }), observer: outboundLog, port: 0 });
});

afterAll(async () => {
  await outbound.close(100);
  await inbound.close(100);
  app.closeAllConnections();
  await new Promise((r) => app.close(r));
});

beforeEach(() => {
  seen.length = 0;
});

/**
 * curl, POSTing `bytes` bytes from its stdin, a body of unknown length: `Transfer-Encoding:
 * chunked` over HTTP/1.1, no content-length over HTTP/2 (h2c with prior knowledge).
 */
function curlUnsized(port: number, host: string, path: string, bytes: number, http2 = false): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const args = ['-sS', '-X', 'POST', '-H', `Host: ${host}`, '-T', '-', '-w', '\n%{http_code}', `http://127.0.0.1:${port}${path}`];
    const curl = spawn('curl', http2 ? ['--http2-prior-knowledge', ...args] : args);
    let out = '';
    let err = '';
    curl.stdout.on('data', (c: Buffer) => (out += c.toString()));
    curl.stderr.on('data', (c: Buffer) => (err += c.toString()));
    curl.on('error', reject);
    curl.on('close', (code) => {
      const cut = out.lastIndexOf('\n');
      if (code !== 0) reject(new Error(`curl exited with ${code}: ${err}`));
      else resolve({ status: Number(out.slice(cut + 1)), body: out.slice(0, cut) });
    });
    curl.stdin.end(Buffer.alloc(bytes, 0x61));
  });
}

/** A request body undici sends chunked: `first` bytes, then (once `between` resolves) `second` bytes. */
function twoParts(first: number, between: Promise<unknown>, second: number): Readable {
  return Readable.from(
    (async function* () {
      yield Buffer.alloc(first, 0x61);
      await between;
      yield Buffer.alloc(second, 0x62);
    })(),
  );
}

const appGot = (path: string, bytes: number) => waitFor(`the app to get ${bytes} bytes on ${path}`, () => seen.find((r) => r.path === path && r.bytes >= bytes));

function errorCode(text: string): string | undefined {
  return (JSON.parse(text) as { error?: { code?: string } }).error?.code;
}

describe('a declared body over the limit', () => {
  it('outbound: 413 body_too_large before any upstream is called; the access log names the reason', async () => {
    const reply = await send(outbound.port, { method: 'POST', host: 'files', path: '/small/declared', body: Buffer.alloc(LIMIT + 1) });
    expect(reply.status).toBe(413);
    expect(reply.json).toEqual({ error: { code: 'body_too_large', message: `the request body is larger than this route's limit of ${LIMIT} bytes (maxRequestBytes)` } });
    expect(seen).toEqual([]);
    const entry = await waitFor('the access-log entry', () => outboundLog.requests.find((e) => e.path === '/small/declared'));
    expect(entry).toMatchObject({ status: 413, reason: 'body_too_large', route: 'default/files#small' });
  });

  it('outbound: a rule without a limit has the Mesh default', async () => {
    const reply = await send(outbound.port, { method: 'POST', host: 'files', path: '/other', body: Buffer.alloc(MESH_DEFAULT + 1) });
    expect(reply.status).toBe(413);
    expect(String(reply.json?.error && (reply.json.error as { message: string }).message)).toContain(`limit of ${MESH_DEFAULT} bytes`);
    expect(seen).toEqual([]);
  });

  it('inbound, called directly: 413 before the app is called', async () => {
    const reply = await send(inbound.port, { method: 'POST', host: 'files', path: '/small/direct', body: Buffer.alloc(LIMIT + 1) });
    expect(reply.status).toBe(413);
    expect(errorCode(reply.text)).toBe('body_too_large');
    expect(seen).toEqual([]);
  });

  it('a body of exactly the limit passes, through both sidecars', async () => {
    const reply = await send(outbound.port, { method: 'POST', host: 'files', path: '/small/exact', body: Buffer.alloc(LIMIT) });
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual({ received: LIMIT });
  });
});

describe('a chunked body, counted as it streams', () => {
  it('outbound, curl: one over the limit gets 413 body_too_large; what reached the app stayed within the limit', async () => {
    const reply = await curlUnsized(outbound.port, 'bare', '/small/chunked', 64 * 1024);
    expect(reply.status).toBe(413);
    expect(errorCode(reply.body)).toBe('body_too_large');
    for (const r of seen) {
      await r.settled;
      expect(r).toMatchObject({ complete: false });
      expect(r.bytes).toBeLessThanOrEqual(LIMIT);
    }
  });

  it('curl: one of exactly the limit passes, through both sidecars', async () => {
    const reply = await curlUnsized(outbound.port, 'files', '/small/chunked-exact', LIMIT);
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toEqual({ received: LIMIT });
    expect(seen).toMatchObject([{ path: '/small/chunked-exact', bytes: LIMIT, complete: true }]);
  });

  it('outbound over HTTP/2 (curl, h2c), no content-length: over the limit 413, at the limit passes', async () => {
    const over = await curlUnsized(outbound.port, 'bare', '/small/h2', 64 * 1024, true);
    expect(over.status).toBe(413);
    expect(errorCode(over.body)).toBe('body_too_large');
    for (const r of seen) {
      await r.settled;
      expect(r.bytes).toBeLessThanOrEqual(LIMIT);
    }
    const exact = await curlUnsized(outbound.port, 'bare', '/small/h2-exact', LIMIT, true);
    expect(exact.status).toBe(200);
    expect(JSON.parse(exact.body)).toEqual({ received: LIMIT });
  });

  it('outbound, undici: the app gets the bytes within the limit, then its request is aborted; the client gets 413', async () => {
    const path = '/small/stepwise';
    const reply = await request(`http://127.0.0.1:${outbound.port}${path}`, { method: 'POST', headers: { host: 'bare' }, body: twoParts(600, appGot(path, 600), 600) });
    expect(reply.statusCode).toBe(413);
    expect(errorCode(await reply.body.text())).toBe('body_too_large');
    const [r] = seen;
    await r?.settled;
    expect(seen).toMatchObject([{ path, bytes: 600, complete: false }]);
  });

  it('outbound, undici: after the response head went out, going over the limit cuts the response', async () => {
    const path = '/small/early';
    let headSeen!: () => void;
    const head = new Promise<void>((r) => (headSeen = r));
    const reply = await request(`http://127.0.0.1:${outbound.port}${path}`, { method: 'POST', headers: { host: 'bare' }, body: twoParts(600, head, 600) });
    expect(reply.statusCode).toBe(200);
    headSeen();
    await expect(reply.body.text()).rejects.toThrow();
    const [r] = seen;
    await r?.settled;
    expect(seen).toMatchObject([{ path, bytes: 600, complete: false }]);
  });

  it('inbound, called directly with curl: 413, the app saw at most the limit', async () => {
    const reply = await curlUnsized(inbound.port, 'files', '/small/direct-chunked', 64 * 1024);
    expect(reply.status).toBe(413);
    expect(errorCode(reply.body)).toBe('body_too_large');
    for (const r of seen) {
      await r.settled;
      expect(r.bytes).toBeLessThanOrEqual(LIMIT);
    }
  });
});

/** curl uploading `bytes` declared bytes with `Expect: 100-continue`; its verbose log says whether it got a 100. */
function curlExpecting(port: number, host: string, path: string, bytes: number): Promise<{ status: number; gotContinue: boolean }> {
  return new Promise((resolve, reject) => {
    const args = ['-sS', '-v', '-o', '/dev/null', '-w', '%{http_code}', '-H', `Host: ${host}`, '-H', 'Expect: 100-continue', '--expect100-timeout', '30', '--data-binary', '@-', `http://127.0.0.1:${port}${path}`];
    const curl = spawn('curl', args);
    let out = '';
    let err = '';
    curl.stdout.on('data', (c: Buffer) => (out += c.toString()));
    curl.stderr.on('data', (c: Buffer) => (err += c.toString()));
    curl.on('error', reject);
    curl.on('close', () => resolve({ status: Number(out), gotContinue: /< HTTP\/1\.1 100 Continue/.test(err) }));
    curl.stdin.end(Buffer.alloc(bytes, 0x61));
  });
}

describe('Expect: 100-continue', () => {
  it('an upload the route refuses is answered 413 without a 100 Continue: the client never sends its body', async () => {
    const reply = await curlExpecting(outbound.port, 'files', '/small/expect-over', LIMIT + 1);
    expect(reply).toEqual({ status: 413, gotContinue: false });
    expect(seen).toEqual([]);
  });

  it('an upload the stages let through gets its 100 Continue, then reaches the app', async () => {
    const reply = await curlExpecting(outbound.port, 'files', '/small/expect-ok', LIMIT);
    expect(reply).toEqual({ status: 200, gotContinue: true });
    expect(seen.map((r) => r.path)).toContain('/small/expect-ok');
  });
});
