// One upstream exchange over undici's dispatch API, written straight into the client's
// ServerResponse: no Web Request/Response, no buffering. Back-pressure both ways (undici
// pulls a streamed request body as the socket drains; a slow client pauses the upstream
// body). The caller decides when the response head arrives whether to pass it on or to
// drop it and retry (`commit`); a dropped response's body is read and discarded so its
// connection stays in the pool. The timeout bounds the wait for the response head; after
// that the body streams for as long as it flows (undici's bodyTimeout catches a stalled one).
import type { IncomingHttpHeaders, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';

export type UpstreamFailure = 'timeout' | 'connect-failure' | 'reset';

export type ForwardOutcome =
  /** The response went to the client (its head at least; `complete` false if its body broke off). */
  | { kind: 'sent'; status: number; complete: boolean }
  /** The response was dropped at the caller's request (to retry). */
  | { kind: 'dropped'; status: number }
  /** No response: the try failed before a head arrived. */
  | { kind: 'failed'; error: UpstreamFailure; message: string };

export interface ForwardRequest {
  method: string;
  path: string;
  headers: string[];
  body: Buffer | Readable | null;
  /** Limit on the wait for the response head, ms; 0 = none. */
  timeoutMs: number;
  /** Whether to pass a response with this status to the client (else it is dropped). */
  commit(status: number): boolean;
  /** The response head as the client gets it. */
  responseHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders;
}

class UpstreamTimeout extends Error {
  constructor(ms: number) {
    super(`upstream did not answer within ${ms} ms`);
    this.name = 'UpstreamTimeout';
  }
}

class ClientGone extends Error {
  constructor() {
    super('client closed the connection');
    this.name = 'ClientGone';
  }
}

const CONNECT_FAILURES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT', 'EADDRNOTAVAIL']);

export function classifyUpstreamError(e: Error): UpstreamFailure {
  if (e instanceof UpstreamTimeout) return 'timeout';
  const code = (e as { code?: string }).code ?? '';
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return 'timeout';
  if (CONNECT_FAILURES.has(code)) return 'connect-failure';
  return 'reset';
}

export function forward(pool: Dispatcher, r: ForwardRequest, res: ServerResponse): Promise<ForwardOutcome> {
  return new Promise<ForwardOutcome>((resolve) => {
    let controller: Dispatcher.DispatchController | undefined;
    let timer: NodeJS.Timeout | undefined;
    let status = 0;
    let mode: 'waiting' | 'sending' | 'dropping' | 'done' = 'waiting';
    let pendingAbort: Error | undefined;
    const abort = (e: Error) => {
      if (controller) controller.abort(e);
      else pendingAbort = e;
    };
    const onClientGone = () => {
      if (mode === 'waiting' || mode === 'sending') abort(new ClientGone());
    };
    const onDrain = () => controller?.resume();
    const finish = (outcome: ForwardOutcome) => {
      if (mode === 'done') return;
      mode = 'done';
      if (timer) clearTimeout(timer);
      res.off('close', onClientGone);
      res.off('drain', onDrain);
      resolve(outcome);
    };
    if (r.timeoutMs > 0) timer = setTimeout(() => abort(new UpstreamTimeout(r.timeoutMs)), r.timeoutMs);
    res.on('close', onClientGone);
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(c) {
        controller = c;
        if (pendingAbort) c.abort(pendingAbort);
      },
      onResponseStart(c, statusCode, headers) {
        if (statusCode < 200) return; // 1xx: wait for the final head
        if (timer) clearTimeout(timer);
        timer = undefined;
        status = statusCode;
        if (!r.commit(statusCode)) {
          mode = 'dropping';
          return;
        }
        mode = 'sending';
        res.writeHead(statusCode, r.responseHeaders(headers));
        res.on('drain', onDrain);
        // A HEAD (or 204/304) response has no body to wait for; flush the head now.
        if (res.writableNeedDrain) c.pause();
      },
      onResponseData(c, chunk) {
        if (mode !== 'sending') return;
        if (!res.write(chunk)) c.pause();
      },
      onResponseEnd() {
        if (mode === 'dropping') return finish({ kind: 'dropped', status });
        if (mode === 'sending') {
          res.end();
          return finish({ kind: 'sent', status, complete: true });
        }
      },
      onResponseError(_c, error) {
        if (mode === 'dropping') return finish({ kind: 'dropped', status });
        if (mode === 'sending') {
          // The head is out: the only honest signal left is a broken connection.
          res.destroy();
          return finish({ kind: 'sent', status, complete: false });
        }
        if (error instanceof ClientGone) return finish({ kind: 'failed', error: 'reset', message: error.message });
        finish({ kind: 'failed', error: classifyUpstreamError(error), message: error.message });
      },
    };
    try {
      pool.dispatch({ path: r.path, method: r.method, headers: r.headers, body: r.body, idempotent: false }, handler);
    } catch (e) {
      finish({ kind: 'failed', error: 'connect-failure', message: (e as Error).message });
    }
  });
}
