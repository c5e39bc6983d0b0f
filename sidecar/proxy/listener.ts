// The listener both proxies run on: one port for HTTP/1.1 and cleartext HTTP/2 (and, with
// `mtls`, mutual TLS with ALPN h2 or http/1.1: front-door.ts), keep-alive, a count of requests
// in flight, and a graceful close (stop accepting, HTTP/2 clients told to go away, in-flight
// requests finish within the grace period, then what is left is cut). A handler that throws
// answers 500, never crashes. WebSocket handshakes on the HTTP/1 servers reach the same
// handler (upgrade-entry.ts) and count as in flight until their socket closes.
import type { AddressInfo } from 'node:net';
import type { MtlsServerOptions } from '../tls/server-tls.ts';
import type { ProxyListener } from '../types.ts';
import { refuse } from '../../core/pipeline/answer.ts';
import { writeAnswer } from './answer-writer.ts';
import { createFrontDoor } from './front-door.ts';
import type { DownstreamRequest, DownstreamResponse } from './front-door.ts';
import { requireHttp1 } from './require-http1.ts';
import { acceptWebSocketUpgrades } from './upgrade-entry.ts';

export type ProxyHandler = (req: DownstreamRequest, res: DownstreamResponse) => Promise<void>;

const HTTP_OPTIONS = { keepAliveTimeout: 65_000, requestTimeout: 0, headersTimeout: 60_000 };

export async function listen(host: string, port: number, handler: ProxyHandler, onClose: () => Promise<void>, mtls?: MtlsServerOptions): Promise<ProxyListener> {
  let inFlight = 0;
  // One listener function for every response ('close' fires once per response): no closure
  // or once-wrapper per request.
  const ended = () => {
    inFlight--;
  };
  const onRequest = (req: DownstreamRequest, res: DownstreamResponse): void => {
    inFlight++;
    res.on('close', ended);
    handler(req, res).catch((e: unknown) => {
      process.emitWarning(`sidecar proxy: ${(e as Error)?.stack ?? String(e)}`);
      writeAnswer(res, refuse('internal', 'the sidecar failed to handle the request'));
    });
  };
  const door = createFrontDoor({ handler: onRequest, http: HTTP_OPTIONS, ...(mtls ? { mtls } : {}) });
  for (const server of door.http1) acceptWebSocketUpgrades(server, requireHttp1(onRequest));
  await new Promise<void>((resolve, reject) => {
    door.net.once('error', reject);
    door.net.listen(port, host, () => resolve());
  });
  return {
    port: (door.net.address() as AddressInfo).port,
    inFlight: () => inFlight,
    async close(graceMs: number) {
      await door.close();
      const deadline = Date.now() + graceMs;
      while (inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      // onClose first: it ends the WebSockets still open with a Close frame (1001), which
      // cutting every connection would not give them; then what is left is cut.
      await onClose();
      door.closeAllConnections();
    },
  };
}
