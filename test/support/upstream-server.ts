// A real HTTP upstream for gateway and sidecar tests (127.0.0.1 only). It echoes what it got
// as JSON and can misbehave on request: `/status/<code>` answers that code, `/slow/<ms>`
// answers after a delay, `/drip/<ms>` sends its head and a first chunk at once and the rest
// of the body after that delay. `/__hits` returns per-path request counts, `/__log` the requests
// seen (one cut off mid-body too, marked `cut`), `/__reset` clears both (and brings it back
// up); `/__down` makes every request 503 until `/__up` (a dead instance, for outlier
// detection); `/jwks.json` serves the JWKS last POSTed to `/__jwks` (an issuer, for JWKS
// caching). A query parameter `h.<name>=<value>` adds that response header (repeat it for
// several values).
import { createServer } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  bodyLength: number;
  /** The request was cut before its body ended (bodyLength: what had arrived). */
  cut?: true;
}

export interface UpstreamServer {
  name: string;
  port: number;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<{ bodyLength: number; cut?: true }> {
  return new Promise((resolve) => {
    let n = 0;
    req.on('data', (c: Buffer) => (n += c.length));
    req.on('end', () => resolve({ bodyLength: n }));
    req.on('close', () => resolve(req.complete ? { bodyLength: n } : { bodyLength: n, cut: true }));
  });
}

export async function startUpstream(name: string): Promise<UpstreamServer> {
  const hits = new Map<string, number>();
  const log: SeenRequest[] = [];
  let down = false;
  let jwks = '{"keys":[]}';
  const server: Server = createServer(async (req, res) => {
    const url = req.url ?? '/';
    const path = url.split('?')[0] ?? '/';
    if (path === '/__hits') return res.end(JSON.stringify(Object.fromEntries(hits)));
    if (path === '/__log') return res.end(JSON.stringify(log));
    if (path === '/__reset') {
      hits.clear();
      log.length = 0;
      down = false;
      return res.end('{}');
    }
    if (path === '/__jwks' && req.method === 'POST') {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      jwks = Buffer.concat(chunks).toString('utf8');
      return res.end('{}');
    }
    if (path === '/__down' || path === '/__up') {
      down = path === '/__down';
      return res.end('{}');
    }
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const body = await readBody(req);
    const bodyLength = body.bodyLength;
    log.push({ method: req.method ?? '', url, headers: req.headers, ...body });
    if (body.cut) return;
    if (down) {
      res.writeHead(503, { 'content-type': 'application/json', 'x-upstream': name });
      return res.end(JSON.stringify({ upstream: name, down: true }));
    }
    if (path === '/jwks.json') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(jwks);
    }
    const drip = /^\/drip\/(\d+)/.exec(path);
    if (drip) {
      res.writeHead(200, { 'content-type': 'text/plain', 'x-upstream': name });
      res.write('first chunk\n');
      await new Promise((r) => setTimeout(r, Number(drip[1])));
      return res.end('last chunk\n');
    }
    const status = /^\/status\/(\d{3})/.exec(path);
    const slow = /^\/slow\/(\d+)/.exec(path);
    if (slow) await new Promise((r) => setTimeout(r, Number(slow[1])));
    const extra: Record<string, string[]> = {};
    for (const [k, v] of new URL(url, 'http://upstream').searchParams) if (k.startsWith('h.')) (extra[k.slice(2)] ??= []).push(v);
    res.writeHead(status ? Number(status[1]) : 200, { 'content-type': 'application/json', server: `upstream-${name}`, 'x-upstream': name, ...extra });
    res.end(JSON.stringify({ upstream: name, method: req.method, url, headers: req.headers, bodyLength }));
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    name,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
