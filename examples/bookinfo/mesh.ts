// What every Bookinfo service shares: listen on $PORT (127.0.0.1 only, so the sidecar is the
// only way in), answer JSON, and call other services through the sidecar's outbound listener
// ($HTTP_PROXY) with `http://<service>/path`, copying the headers an app must pass on
// (docs/sidecar.md: the edge token, the trace context, and `end-user` for header routing).
import { createServer, request } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';

export const PROPAGATE = ['x-weft-edge-token', 'traceparent', 'tracestate', 'end-user'];

export interface Answer {
  status: number;
  body: unknown;
}

function pick(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of PROPAGATE) {
    const v = headers[name];
    if (typeof v === 'string') out[name] = v;
  }
  return out;
}

/** GET http://<service><path> through the sidecar; never throws (a failed call is an answer too). */
export function callService(service: string, path: string, incoming: IncomingHttpHeaders): Promise<Answer> {
  const proxy = new URL(process.env.HTTP_PROXY ?? 'http://127.0.0.1:15001');
  return new Promise((resolve) => {
    const req = request(
      { host: proxy.hostname, port: Number(proxy.port), method: 'GET', path: `http://${service}${path}`, headers: { ...pick(incoming), host: service } },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (s: string) => (text += s));
        res.on('end', () => {
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            // not JSON: keep the text
          }
          resolve({ status: res.statusCode ?? 502, body });
        });
        res.on('error', (e) => resolve({ status: 502, body: { error: { code: 'call_failed', message: e.message } } }));
      },
    );
    req.setTimeout(5000, () => req.destroy(new Error('timed out')));
    req.on('error', (e) => resolve({ status: 502, body: { error: { code: 'call_failed', message: e.message } } }));
    req.end();
  });
}

export type Handler = (path: string, req: IncomingMessage) => Promise<Answer>;

/** Serves `handler` on 127.0.0.1:$PORT; unknown paths and errors answer JSON. */
export function serve(name: string, handler: Handler): void {
  const port = Number(process.env.PORT ?? '9080');
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://app').pathname;
    handler(path, req)
      .catch((e: unknown) => ({ status: 500, body: { error: { code: 'internal', message: (e as Error).message } } }))
      .then(({ status, body }) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(`${JSON.stringify(body)}\n`);
      });
  });
  server.listen(port, '127.0.0.1', () => process.stderr.write(`${name} listening on 127.0.0.1:${port}\n`));
  const stop = () => server.close(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

export const notFound: Answer = { status: 404, body: { error: { code: 'not_found', message: 'no such page' } } };

/** The product id in `/<prefix>/<id>`, or undefined. */
export function idAfter(prefix: string, path: string): string | undefined {
  const m = new RegExp(`^/${prefix}/([0-9]+)$`).exec(path);
  return m?.[1];
}
