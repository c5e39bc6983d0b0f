// WebSockets through the mesh with a client and a server no one here wrote (`ws`): the app's
// client dials its outbound listener (`Host: chat`), which opens the handshake over mutual TLS
// to chat's inbound, which opens it to the app. Echoes, close codes both ways, refusals made
// at the handshake (authentication 401, access 403: no upgrade, the app never sees it), the
// route's lifetime and idle limits (1001), the open-connections gauge, the access log line,
// the listener's shutdown, and an h2c upgrade that stays an ordinary request.
import { once } from 'node:events';
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { RawData } from 'ws';
import { startInbound } from '../../sidecar/proxy/inbound.ts';
import { startOutbound } from '../../sidecar/proxy/outbound.ts';
import { createSidecarMetrics } from '../../sidecar/telemetry/metrics.ts';
import type { SidecarMetrics } from '../../sidecar/telemetry/metrics.ts';
import { fanOut } from '../../sidecar/telemetry/fan-out.ts';
import type { AccessLogEntry, Direction, ProxyListener } from '../../sidecar/types.ts';
import { doc } from '../support/compile-yaml.ts';
import { createMeshKeys, fixedSidecarView, meshYaml, RecordingObserver, spiffeIdOf } from '../support/sidecar-fixture.ts';
import type { FixedView } from '../support/sidecar-fixture.ts';
import { startWebSocketEcho } from '../support/websocket-echo.ts';
import type { WebSocketEcho } from '../support/websocket-echo.ts';
import { svidFor, testCa } from './tls-certs.ts';

const WEB = spiffeIdOf('default', 'web');
const CHAT = spiffeIdOf('default', 'chat');
const API_KEY = 'open-sesame';

/** Records what the sidecars report and lets a test wait for the next event of a kind. */
class WaitingObserver extends RecordingObserver {
  readonly webSockets: { direction: Direction; change: 'opened' | 'closed' }[] = [];
  readonly #waiters: { match: (e: unknown) => boolean; resolve: (e: unknown) => void }[] = [];

  override request(entry: AccessLogEntry): void {
    super.request(entry);
    this.#notify(entry);
  }
  webSocket(direction: Direction, change: 'opened' | 'closed'): void {
    const event = { direction, change };
    this.webSockets.push(event);
    this.#notify(event);
  }
  /** Sockets a listener of `direction` reports open now. */
  open(direction: Direction): number {
    return this.webSockets.reduce((n, e) => (e.direction !== direction ? n : e.change === 'opened' ? n + 1 : n - 1), 0);
  }
  /** Resolves once every socket reported open has been reported closed. */
  async settled(): Promise<void> {
    for (const d of ['inbound', 'outbound'] as const) while (this.open(d) > 0) await this.next<{ direction: Direction; change: string }>((e) => e.direction === d && e.change === 'closed');
  }
  next<T>(match: (e: T) => boolean): Promise<T> {
    return new Promise((resolve) => this.#waiters.push({ match: match as (e: unknown) => boolean, resolve: resolve as (e: unknown) => void }));
  }
  #notify(e: unknown): void {
    for (const w of [...this.#waiters])
      if (w.match(e)) {
        this.#waiters.splice(this.#waiters.indexOf(w), 1);
        w.resolve(e);
      }
  }
}

let app: WebSocketEcho;
let chat: ProxyListener;
let outbound: ProxyListener;
let web: FixedView;
const observer = new WaitingObserver();
let metrics: SidecarMetrics;

function policy(): string {
  return [
    meshYaml('strict'),
    doc('Service', 'web', 'port: 8080'),
    doc('Service', 'chat', 'port: 8080'),
    doc(
      'Route',
      'chat',
      `mesh: { services: [chat] }
rules:
  - name: brief
    matches: [{ path: { prefix: /brief } }]
    backends: [{ service: chat }]
    websocket: { maxLifetime: 300ms }
  - name: quiet
    matches: [{ path: { prefix: /quiet } }]
    backends: [{ service: chat }]
    websocket: { idleTimeout: 300ms }
  - name: echo
    backends: [{ service: chat }]`,
    ),
    doc('Route', 'chat-keyed', 'mesh: { services: [chat] }\nrules:\n  - matches: [{ path: { prefix: /keyed } }]\n    backends: [{ service: chat }]'),
    doc('Route', 'chat-closed', 'mesh: { services: [chat] }\nrules:\n  - matches: [{ path: { prefix: /closed } }]\n    backends: [{ service: chat }]'),
    doc('Authentication', 'chat-keys', `targetRefs: [{ kind: Route, name: chat-keyed }]\napiKeys:\n  keys: [{ name: tester, sha256: ${createHash('sha256').update(API_KEY).digest('hex')} }]`),
    doc('AccessPolicy', 'chat-closed', `targetRefs: [{ kind: Route, name: chat-closed }]\naction: allow\nrules:\n  - from: { principals: ["${spiffeIdOf('default', 'nobody')}"] }`),
  ].join('---\n');
}

/** A `ws` client through the outbound listener, as the web app dials chat. */
function dial(path: string, o: { headers?: Record<string, string>; port?: number; protocols?: string[] } = {}): WebSocket {
  return new WebSocket(`ws://127.0.0.1:${o.port ?? outbound.port}${path}`, o.protocols ?? [], { headers: { host: 'chat', ...o.headers } });
}

async function opened(ws: WebSocket): Promise<WebSocket> {
  await once(ws, 'open');
  return ws;
}

function closeOf(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return once(ws, 'close').then(([code, reason]) => ({ code: code as number, reason: String(reason as Buffer) }));
}

/** The handshake's answer when it is not an upgrade. */
function refusal(ws: WebSocket): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    ws.on('error', () => undefined);
    ws.on('open', () => reject(new Error('the handshake was upgraded')));
    ws.on('unexpected-response', (_req, res: IncomingMessage) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
  });
}

async function gauge(direction: Direction): Promise<number> {
  const { body } = await metrics.render();
  const m = new RegExp(`^weft_sidecar_websockets_open\\{direction="${direction}"\\} (\\d+)$`, 'm').exec(body);
  return Number(m?.[1] ?? Number.NaN);
}

beforeAll(async () => {
  const keys = await createMeshKeys();
  const ca = await testCa();
  app = await startWebSocketEcho();
  metrics = createSidecarMetrics({ defaultMetrics: false });
  const both = fanOut([metrics.observer, observer]);
  const [webTls, chatTls] = await Promise.all([svidFor(ca, WEB), svidFor(ca, CHAT)]);
  chat = await startInbound({ view: await fixedSidecarView({ keys, policy: policy(), service: 'chat', tls: chatTls }), observer: both, port: 0, app: { host: '127.0.0.1', port: app.port } });
  web = await fixedSidecarView({ keys, policy: policy(), service: 'web', tls: webTls });
  web.setEndpoints({ 'default/chat': [{ instanceId: 'chat-1', address: '127.0.0.1', port: chat.port, labels: {} }] });
  outbound = await startOutbound({ view: web, observer: both, port: 0 });
});

afterAll(async () => {
  await Promise.all([outbound?.close(100), chat?.close(100)]);
  await app?.close();
});

beforeEach(() => {
  app.upgrades.length = 0;
});

describe('WebSockets through outbound → mTLS → inbound', () => {
  it('echoes 1 000 messages, text and binary, small and large, in order, with the subprotocol the app chose', async () => {
    const ws = await opened(dial('/echo', { protocols: ['chat', 'superchat'] }));
    expect(ws.protocol).toBe('chat');
    const sent: string[] = [];
    const got: string[] = [];
    const all = new Promise<void>((resolve) => {
      ws.on('message', (data: RawData, isBinary: boolean) => {
        got.push(isBinary ? `bin:${(data as Buffer).length}:${createHash('sha256').update(data as Buffer).digest('hex')}` : data.toString());
        if (got.length === 1000) resolve();
      });
    });
    for (let i = 0; i < 1000; i++) {
      if (i % 10 === 0) {
        // Binary messages across the 7-bit, 16-bit and 64-bit frame length forms.
        const payload = Buffer.alloc([100, 4000, 70_000][(i / 10) % 3] as number, i % 251);
        sent.push(`bin:${payload.length}:${createHash('sha256').update(payload).digest('hex')}`);
        ws.send(payload);
      } else {
        sent.push(`message ${i}`);
        ws.send(`message ${i}`);
      }
    }
    await all;
    expect(got).toEqual(sent);
    expect(app.upgrades.map((u) => u.path)).toEqual(['/echo']);
    // The app sees the caller the mTLS certificate proved, as for any request.
    expect(app.upgrades[0]?.headers['x-weft-peer-id']).toBe(WEB);
    const closed = closeOf(ws);
    ws.close(1000);
    await closed;
  });

  it('passes close codes and reasons both ways', async () => {
    const fromClient = await opened(dial('/echo?by=client'));
    const serverSaw = app.closed('/echo?by=client');
    fromClient.close(4001, 'client says bye');
    expect(await serverSaw).toEqual({ path: '/echo?by=client', code: 4001, reason: 'client says bye' });

    const fromServer = await opened(dial('/echo?by=server'));
    const clientSaw = closeOf(fromServer);
    fromServer.send('close:4002');
    expect(await clientSaw).toEqual({ code: 4002, reason: 'server closes' });
  });

  it('refuses a handshake without credentials with 401, and one access policy denies with 403: no upgrade, the app never sees it', async () => {
    const unauthenticated = await refusal(dial('/keyed'));
    expect(unauthenticated.status).toBe(401);
    expect(JSON.parse(unauthenticated.body)).toMatchObject({ error: { code: 'missing_credentials' } });
    const denied = await refusal(dial('/closed'));
    expect(denied.status).toBe(403);
    expect(JSON.parse(denied.body)).toMatchObject({ error: { code: 'access_denied' } });
    expect(app.upgrades).toEqual([]);
    // With the key, the same route upgrades.
    const keyed = await opened(dial('/keyed', { headers: { 'x-api-key': API_KEY } }));
    expect(app.upgrades.map((u) => u.path)).toEqual(['/keyed']);
    const closed = app.closed('/keyed');
    keyed.close();
    await closed;
  });

  it('closes a socket past the route’s maximum lifetime with 1001, however busy', async () => {
    const ws = await opened(dial('/brief'));
    const closed = closeOf(ws);
    const serverSaw = app.closed('/brief');
    // Busy to the end, with frames large enough to be in flight when the limit strikes: the
    // sidecar finishes the frame before its Close, or the client would see 1006 (abnormal).
    const big = Buffer.alloc(256 * 1024, 7);
    ws.on('message', () => {
      if (ws.readyState === WebSocket.OPEN) ws.send(big);
    });
    ws.send(big);
    ws.send(big);
    expect(await closed).toEqual({ code: 1001, reason: 'maximum lifetime' });
    expect(await serverSaw).toMatchObject({ path: '/brief', code: 1001, reason: 'maximum lifetime' });
  });

  it('closes a socket idle past the route’s idle timeout with 1001', async () => {
    const ws = await opened(dial('/quiet'));
    const closed = closeOf(ws);
    const serverSaw = app.closed('/quiet');
    expect(await closed).toEqual({ code: 1001, reason: 'idle timeout' });
    expect(await serverSaw).toMatchObject({ path: '/quiet', code: 1001 });
  });

  it('counts open sockets in the gauge while they are open, and logs each once, as 101 with its duration, when it closes', async () => {
    // The sockets of earlier tests close on the proxies' side after their clients saw it.
    await observer.settled();
    expect(await gauge('outbound')).toBe(0);
    expect(await gauge('inbound')).toBe(0);
    const bothOpen = Promise.all([
      observer.next<{ direction: Direction; change: string }>((e) => e.direction === 'outbound' && e.change === 'opened'),
      observer.next<{ direction: Direction; change: string }>((e) => e.direction === 'inbound' && e.change === 'opened'),
    ]);
    const ws = await opened(dial('/echo?room=1'));
    await bothOpen;
    expect(await gauge('outbound')).toBe(1);
    expect(await gauge('inbound')).toBe(1);
    const outboundClosed = observer.next<{ direction: Direction; change: string }>((e) => e.direction === 'outbound' && e.change === 'closed');
    const logged = observer.next<AccessLogEntry>((e) => (e as Partial<AccessLogEntry>).direction === 'outbound' && (e as Partial<AccessLogEntry>).status === 101);
    ws.close(1000);
    await outboundClosed;
    expect(await gauge('outbound')).toBe(0);
    expect(await logged).toMatchObject({ direction: 'outbound', method: 'GET', route: 'default/chat#echo', service: 'default/chat', status: 101, upstream: `127.0.0.1:${chat.port}`, reason: null });
    const { body } = await metrics.render();
    expect(body).toMatch(/^weft_sidecar_requests_total\{direction="outbound",route="default\/chat#echo",service="default\/chat",code="101"\} [1-9]\d*$/m);
  });

  it('keeps an h2c upgrade an ordinary request: the app gets a plain GET without Upgrade', async () => {
    // node:http as the client: undici will not send an Upgrade header of its own.
    const req = request({ host: '127.0.0.1', port: outbound.port, path: '/plain', headers: { host: 'chat', connection: 'Upgrade, HTTP2-Settings', upgrade: 'h2c', 'http2-settings': 'AAMAAABkAARAAAAAAAIAAAAA' } });
    req.end();
    const [res] = (await once(req, 'response')) as [IncomingMessage];
    let body = '';
    for await (const chunk of res) body += String(chunk);
    expect(res.statusCode).toBe(200);
    const seen = JSON.parse(body) as { method: string; url: string; headers: Record<string, string> };
    expect(seen).toMatchObject({ method: 'GET', url: '/plain' });
    expect(seen.headers.upgrade).toBeUndefined();
    expect(seen.headers['http2-settings']).toBeUndefined();
  });
});

describe('WebSockets when a listener shuts down', () => {
  it('lets an open socket run on within the drain grace, then closes one still open with 1001', async () => {
    const draining = await startOutbound({ view: web, observer: fanOut([metrics.observer, observer]), port: 0 });
    // A socket that ends on its own within the grace: the close waits for it, and it works meanwhile.
    const early = await opened(dial('/echo?early', { port: draining.port }));
    const stopped = draining.close(60_000);
    early.send('still here');
    expect(String((await once(early, 'message'))[0])).toBe('still here');
    early.close(1000);
    await stopped;

    const again = await startOutbound({ view: web, observer: fanOut([metrics.observer, observer]), port: 0 });
    const late = await opened(dial('/echo?late', { port: again.port }));
    const closed = closeOf(late);
    const serverSaw = app.closed('/echo?late');
    await again.close(50);
    expect(await closed).toEqual({ code: 1001, reason: 'proxy shutting down' });
    expect(await serverSaw).toMatchObject({ code: 1001, reason: 'proxy shutting down' });
  });
});
