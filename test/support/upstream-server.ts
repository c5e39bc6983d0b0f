// A real HTTP upstream for gateway and sidecar tests (127.0.0.1 only). It echoes what it got
// as JSON and can misbehave on request: `/status/<code>` answers that code, `/slow/<ms>`
// answers after a delay (`/slow/<ms>/status/<code>`: that code, late), `/drip/<ms>` sends its head and a first chunk at once and the rest
// of the body after that delay. `/__hits` returns per-path request counts, `/__log` the requests
// seen (one cut off mid-body too, marked `cut`), `/__reset` clears both (and brings it back
// up); `/__down` makes every request 503 until `/__up` (a dead instance, for outlier
// detection); `/jwks.json` serves the JWKS last POSTed to `/__jwks` (an issuer, for JWKS
// caching). A query parameter `h.<name>=<value>` adds that response header (repeat it for
// several values). For the Gateway API conformance cases it also behaves as their echo
// backend (echo-basic) does: `?delay=<duration>` delays the answer, an `X-Echo-Set-Header:
// name:value,…` request header sets response headers, and `/retry/…?uuid=…&succeedAfter=N`
// fails the first N tries of each uuid (with `responseCode`, else by resetting the
// connection; `delayRetry` delays each failure). `/__await?url=<url>&count=N` answers once N
// requests for that URL have arrived (a mirror's copies), or with what arrived by `timeoutMs`.
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

/** A Go duration as echo-basic reads it (`1s`, `300ms`, `1.5s`); null when absent or malformed. */
function goDurationMs(value: string | null): number | null {
  const m = value === null ? null : /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(value);
  if (!m) return null;
  return Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 's' ? 1000 : 60_000);
}

/** echo-basic's X-Echo-Set-Header: `name:value` pairs, comma-separated; a repeated name appends. */
function echoSetHeaders(value: string | string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of (Array.isArray(value) ? value.join(',') : (value ?? '')).split(',')) {
    const at = pair.indexOf(':');
    if (at <= 0) continue;
    const name = pair.slice(0, at).trim();
    const v = pair.slice(at + 1).trim();
    out[name] = out[name] === undefined ? v : `${out[name]},${v}`;
  }
  return out;
}

export async function startUpstream(name: string): Promise<UpstreamServer> {
  const hits = new Map<string, number>();
  const log: SeenRequest[] = [];
  const retryAttempts = new Map<string, number>();
  const waiters = new Set<() => void>();
  const seen = (url: string) => log.reduce((n, r) => (r.url === url ? n + 1 : n), 0);
  let down = false;
  let jwks = '{"keys":[]}';
  const server: Server = createServer(async (req, res) => {
    const url = req.url ?? '/';
    const path = url.split('?')[0] ?? '/';
    if (path === '/__hits') return res.end(JSON.stringify(Object.fromEntries(hits)));
    if (path === '/__log') return res.end(JSON.stringify(log));
    if (path === '/__await') {
      const q = new URL(url, 'http://upstream').searchParams;
      const want = q.get('url') ?? '';
      const count = Number(q.get('count') ?? '1');
      const answer = () => res.end(JSON.stringify({ count: seen(want) }));
      if (seen(want) >= count) return answer();
      const check = () => {
        if (seen(want) < count) return;
        finish();
      };
      const timer = setTimeout(() => finish(), Number(q.get('timeoutMs') ?? '5000'));
      const finish = () => {
        clearTimeout(timer);
        waiters.delete(check);
        answer();
      };
      waiters.add(check);
      return;
    }
    if (path === '/__reset') {
      hits.clear();
      log.length = 0;
      retryAttempts.clear();
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
    for (const wake of [...waiters]) wake();
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
    const query = new URL(url, 'http://upstream').searchParams;
    const retryId = path.startsWith('/retry/') ? query.get('uuid') : null;
    if (retryId !== null && query.has('succeedAfter')) {
      const tries = retryAttempts.get(retryId) ?? 0;
      if (tries < Number(query.get('succeedAfter'))) {
        retryAttempts.set(retryId, tries + 1);
        const wait = goDurationMs(query.get('delayRetry'));
        if (wait !== null) await new Promise((r) => setTimeout(r, wait));
        const code = Number(query.get('responseCode'));
        if (!Number.isInteger(code) || code < 100) return req.socket.resetAndDestroy();
        res.writeHead(code, { 'content-type': 'application/json', 'x-upstream': name });
        return res.end(JSON.stringify({ upstream: name, failedTry: tries + 1 }));
      }
    }
    const status = /^(?:\/slow\/\d+)?\/status\/(\d{3})/.exec(path);
    const slow = /^\/slow\/(\d+)/.exec(path);
    if (slow) await new Promise((r) => setTimeout(r, Number(slow[1])));
    const delay = goDurationMs(query.get('delay'));
    if (delay !== null) await new Promise((r) => setTimeout(r, delay));
    const extra: Record<string, string[]> = {};
    for (const [k, v] of query) if (k.startsWith('h.')) (extra[k.slice(2)] ??= []).push(v);
    const echoed = echoSetHeaders(req.headers['x-echo-set-header']);
    res.writeHead(status ? Number(status[1]) : 200, { 'content-type': 'application/json', server: `upstream-${name}`, 'x-upstream': name, ...echoed, ...extra });
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
