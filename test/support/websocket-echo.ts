// A real WebSocket app for sidecar and gateway tests (the `ws` package's server, on 127.0.0.1):
// it echoes every message as it came (text or binary); `close:<code>` makes it close with that
// code and the reason `server closes`; `delay:<ms>:<text>` echoes `<text>` after that delay.
// Plain HTTP: `GET /__log` returns the handshakes it accepted (path, headers) and the close
// codes and reasons it saw, `/__reset` clears them; any other request is echoed as JSON
// (method, url, headers). Node-side tests can also wait on `closed(path)`.
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';

export interface SeenClose {
  path: string;
  code: number;
  reason: string;
}

export interface WebSocketEcho {
  port: number;
  /** Handshakes accepted, in order. */
  readonly upgrades: { path: string; headers: IncomingHttpHeaders }[];
  readonly closes: SeenClose[];
  /** The next close the server sees, after this call, of a socket opened on `path` (with its query). */
  closed(path: string): Promise<SeenClose>;
  close(): Promise<void>;
}

export async function startWebSocketEcho(): Promise<WebSocketEcho> {
  const upgrades: WebSocketEcho['upgrades'] = [];
  const closes: SeenClose[] = [];
  const waiters: { path: string; resolve: (c: SeenClose) => void }[] = [];
  const server = createServer((req, res) => {
    const body =
      req.url === '/__log'
        ? { upgrades: upgrades.map((u) => ({ path: u.path, headers: u.headers })), closes }
        : req.url === '/__reset'
          ? ((upgrades.length = 0), (closes.length = 0), { reset: true })
          : { method: req.method, url: req.url, headers: req.headers };
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  });
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws, req) => {
    const path = req.url ?? '/';
    upgrades.push({ path, headers: req.headers });
    ws.on('error', () => ws.terminate());
    ws.on('message', (data, isBinary) => {
      const text = isBinary ? '' : data.toString();
      if (text.startsWith('close:')) return ws.close(Number(text.slice(6)), 'server closes');
      if (text.startsWith('delay:')) {
        const [, ms, rest] = /^delay:(\d+):(.*)$/s.exec(text) ?? [];
        setTimeout(() => ws.send(rest ?? ''), Number(ms));
        return;
      }
      ws.send(data, { binary: isBinary });
    });
    ws.on('close', (code, reason) => {
      const seen = { path, code, reason: reason.toString() };
      closes.push(seen);
      const i = waiters.findIndex((w) => w.path === path);
      if (i >= 0) waiters.splice(i, 1)[0]?.resolve(seen);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    upgrades,
    closes,
    closed: (path) => new Promise<SeenClose>((resolve) => waiters.push({ path, resolve })),
    close: async () => {
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
