// The HTTP/1.1 listener both proxies run on: node:http, keep-alive, a count of requests in
// flight, and a graceful close (stop accepting, let in-flight requests finish within the
// grace period, then cut what is left). A handler that throws answers 500, never crashes.
// With `mtls`, one port takes mutual TLS and plaintext (sidecar/tls/inbound-server.ts). Either
// way only HTTP/1.x requests reach the handler (require-http1.ts).
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInboundServer } from '../tls/inbound-server.ts';
import type { MtlsServerOptions } from '../tls/server-tls.ts';
import type { ProxyListener } from '../types.ts';
import { refuse } from '../../core/pipeline/answer.ts';
import { writeAnswer } from './answer-writer.ts';
import { requireHttp1 } from './require-http1.ts';

export type ProxyHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export async function listen(host: string, port: number, handler: ProxyHandler, onClose: () => Promise<void>, mtls?: MtlsServerOptions): Promise<ProxyListener> {
  let inFlight = 0;
  // One listener function for every response ('close' fires once per response): no closure
  // or once-wrapper per request.
  const ended = () => {
    inFlight--;
  };
  const httpOptions = { keepAliveTimeout: 65_000, requestTimeout: 0, headersTimeout: 60_000 };
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    inFlight++;
    res.on('close', ended);
    handler(req, res).catch((e: unknown) => {
      process.emitWarning(`sidecar proxy: ${(e as Error)?.stack ?? String(e)}`);
      writeAnswer(res, refuse('internal', 'the sidecar failed to handle the request'));
    });
  };
  if (mtls) return listenMtls(host, port, mtls, httpOptions, onRequest, () => inFlight, onClose);
  const server = createServer(httpOptions, requireHttp1(onRequest));
  // A request the app aborts mid-body is not an error worth a stack trace.
  server.on('clientError', (_e, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    inFlight: () => inFlight,
    async close(graceMs: number) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const deadline = Date.now() + graceMs;
      while (inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      server.closeAllConnections();
      await closed;
      await onClose();
    },
  };
}

async function listenMtls(
  host: string,
  port: number,
  mtls: MtlsServerOptions,
  http: { keepAliveTimeout: number; requestTimeout: number; headersTimeout: number },
  onRequest: (req: IncomingMessage, res: ServerResponse) => void,
  inFlight: () => number,
  onClose: () => Promise<void>,
): Promise<ProxyListener> {
  const inbound = createInboundServer({ ...mtls, handler: onRequest, http });
  for (const s of [inbound.mtls, inbound.plain]) s.on('clientError', (_e, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    inbound.net.once('error', reject);
    inbound.net.listen(port, host, () => resolve());
  });
  return {
    port: (inbound.net.address() as AddressInfo).port,
    inFlight,
    async close(graceMs: number) {
      await inbound.close();
      const deadline = Date.now() + graceMs;
      while (inFlight() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      inbound.closeAllConnections();
      await onClose();
    },
  };
}
