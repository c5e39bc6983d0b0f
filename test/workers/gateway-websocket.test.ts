// WebSockets through the gateway in workerd, to a real `ws` app on 127.0.0.1
// (test/support/websocket-echo.ts): the handshake runs the edge stages (API-key
// authentication 401, access policy 403: no upgrade, the app never sees it), then messages
// and close codes cross both ways; the route's request timeout bounds the handshake only,
// its maximum lifetime closes the socket (1001); the access line is written at the close.
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { sha256Hex } from '../../core/snapshot/canonical-json.ts';
import { gw, pushPolicy, route, testEnv } from './gateway-support.ts';

const PORT = testEnv.UPSTREAM_WEBSOCKET_PORT;
const KEY = 'ws-partner-key';

interface AppLog {
  upgrades: { path: string; headers: Record<string, string> }[];
  closes: { path: string; code: number; reason: string }[];
}

async function appLog(): Promise<AppLog> {
  return (await fetch(`http://127.0.0.1:${PORT}/__log`)).json();
}

/** The close the app saw of the socket opened on `path` (asked until it has seen one). */
function appClose(path: string) {
  return expect.poll(async () => (await appLog()).closes.find((c) => c.path === path));
}

async function connect(path: string, headers: Record<string, string> = {}, host = 'ws.example.com'): Promise<WebSocket> {
  const res = await gw(`https://${host}${path}`, { headers: { upgrade: 'websocket', ...headers } });
  expect(res.status).toBe(101);
  const ws = res.webSocket;
  if (!ws) throw new Error('a 101 without a socket');
  ws.accept();
  ws.binaryType = 'arraybuffer';
  return ws;
}

function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => ws.addEventListener('close', (e) => resolve({ code: e.code, reason: e.reason })));
}

function nextMessage(ws: WebSocket): Promise<string> {
  return new Promise((resolve) => ws.addEventListener('message', (e) => resolve(String(e.data)), { once: true }));
}

beforeAll(async () => {
  await fetch(`http://127.0.0.1:${PORT}/__reset`);
  await pushPolicy(
    ['apiVersion: weft/v1', 'kind: Service', 'metadata: { name: chat }', 'spec:', '  endpoints:', `    - { address: 127.0.0.1, port: ${PORT} }`].join('\n'),
    route(
      'chat',
      'ws.example.com',
      [
        '    - name: brief',
        '      matches: [{ path: { prefix: /brief } }]',
        '      backends: [{ service: chat }]',
        '      websocket: { maxLifetime: 300ms }',
        '    - name: quiet',
        '      matches: [{ path: { prefix: /quiet } }]',
        '      backends: [{ service: chat }]',
        '      websocket: { idleTimeout: 300ms }',
        '    - name: keyed',
        '      matches: [{ path: { prefix: /keyed } }]',
        '      backends: [{ service: chat }]',
        '    - name: echo',
        '      backends: [{ service: chat }]',
        '      timeout: 100ms',
      ].join('\n'),
    ),
    route('chat-keyed', 'keyed.ws.example.com', '    - backends: [{ service: chat }]'),
    [
      'apiVersion: weft/v1',
      'kind: Authentication',
      'metadata: { name: chat-keys }',
      'spec:',
      '  targetRefs: [{ kind: Route, name: chat-keyed }]',
      '  apiKeys:',
      `    keys: [{ name: partner, sha256: ${await sha256Hex(KEY)} }]`,
      '---',
      'apiVersion: weft/v1',
      'kind: AccessPolicy',
      'metadata: { name: chat-closed }',
      'spec:',
      '  targetRefs: [{ kind: Route, name: chat }]',
      '  action: deny',
      '  rules:',
      '    - to: { paths: ["/closed/*"] }',
    ].join('\n'),
  );
});

describe('WebSockets through the gateway', () => {
  it('echoes 1 000 messages, text and binary, in order, with the subprotocol the app chose', async () => {
    const res = await gw('https://ws.example.com/echo', { headers: { upgrade: 'websocket', 'sec-websocket-protocol': 'chat, superchat' } });
    expect(res.status).toBe(101);
    expect(res.headers.get('sec-websocket-protocol')).toBe('chat');
    const ws = res.webSocket as WebSocket;
    ws.accept();
    ws.binaryType = 'arraybuffer';
    const got: string[] = [];
    const sent: string[] = [];
    const all = new Promise<void>((resolve) =>
      ws.addEventListener('message', (e) => {
        got.push(typeof e.data === 'string' ? e.data : `bin:${new Uint8Array(e.data as ArrayBuffer).reduce((a, b) => a + b, 0)}`);
        if (got.length === 1000) resolve();
      }),
    );
    for (let i = 0; i < 1000; i++) {
      if (i % 10 === 0) {
        const bytes = new Uint8Array(1000 + i).fill(i % 7);
        sent.push(`bin:${bytes.reduce((a, b) => a + b, 0)}`);
        ws.send(bytes.buffer);
      } else {
        sent.push(`message ${i}`);
        ws.send(`message ${i}`);
      }
    }
    await all;
    expect(got).toEqual(sent);
    ws.close(1000, 'done');
  });

  it('passes close codes and reasons both ways', async () => {
    const byClient = await connect('/echo?by=client');
    byClient.close(4001, 'client says bye');
    await appClose('/echo?by=client').toMatchObject({ code: 4001, reason: 'client says bye' });

    const byServer = await connect('/echo?by=server');
    const seen = closed(byServer);
    byServer.send('close:4002');
    expect(await seen).toEqual({ code: 4002, reason: 'server closes' });
  });

  it('refuses a handshake at the edge, 401 without credentials and 403 by access policy: no upgrade, the app never sees it', async () => {
    const unauthenticated = await gw('https://keyed.ws.example.com/room', { headers: { upgrade: 'websocket' } });
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.webSocket).toBeNull();
    expect(await unauthenticated.json()).toMatchObject({ error: { code: 'missing_credentials' } });
    const denied = await gw('https://ws.example.com/closed/room', { headers: { upgrade: 'websocket' } });
    expect(denied.status).toBe(403);
    expect(denied.webSocket).toBeNull();
    expect(await denied.json()).toMatchObject({ error: { code: 'access_denied' } });
    expect((await appLog()).upgrades.map((u) => u.path)).not.toEqual(expect.arrayContaining(['/room', '/closed/room']));
    // With the key, the same route upgrades.
    const keyed = await connect('/room', { 'x-api-key': KEY }, 'keyed.ws.example.com');
    expect((await appLog()).upgrades.map((u) => u.path)).toContain('/room');
    keyed.close(1000);
  });

  it('closes a socket idle past the route’s idle timeout with 1001, both ways', async () => {
    const ws = await connect('/quiet');
    expect(await closed(ws)).toEqual({ code: 1001, reason: 'idle timeout' });
    await appClose('/quiet').toMatchObject({ code: 1001, reason: 'idle timeout' });
  });

  it('lets an open socket outlive the route’s request timeout (it bounds the handshake only)', async () => {
    const ws = await connect('/echo?slow');
    const late = nextMessage(ws);
    ws.send('delay:300:still open');
    expect(await late).toBe('still open');
    ws.close(1000);
  });

  it('closes a socket past the route’s maximum lifetime with 1001, both ways, and logs it at the close', async () => {
    const log = vi.spyOn(console, 'log');
    try {
      const ws = await connect('/brief');
      const seen = closed(ws);
      ws.addEventListener('message', () => ws.send('again'));
      ws.send('again');
      expect(await seen).toEqual({ code: 1001, reason: 'maximum lifetime' });
      await appClose('/brief').toMatchObject({ code: 1001, reason: 'maximum lifetime' });
      const lines = log.mock.calls.map((args) => JSON.parse(String(args[0])) as Record<string, unknown>).filter((l) => l.component === 'gateway.access' && l.path === '/brief');
      expect(lines).toEqual([expect.objectContaining({ status: 101, route: 'default/chat#brief', websocket: { closeCode: 1001, closedBy: 'gateway' } })]);
      expect(lines[0]?.latencyMs).toBeGreaterThanOrEqual(300);
    } finally {
      log.mockRestore();
    }
  });
});
