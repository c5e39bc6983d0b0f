// One upstream exchange over undici's dispatch API, written straight into the client's
// ServerResponse: no Web Request/Response, no buffering. Back-pressure both ways (undici
// pulls a streamed request body as the socket drains; a slow client pauses the upstream
// body). The caller decides when the response head arrives whether to pass it on or to
// drop it and retry (`commit`); a dropped response's body is read and discarded so its
// connection stays in the pool. The timeout bounds the wait for the response head; after
// that the body streams for as long as it flows (undici's bodyTimeout catches a stalled one).
import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { PeerIdentityError } from '../tls/client-tls.ts';

export type UpstreamFailure = 'timeout' | 'connect-failure' | 'reset';

export type ForwardOutcome =
  /** The response went to the client (its head at least; `complete` false if its body broke off). */
  | { kind: 'sent'; status: number; complete: boolean }
  /** The response was dropped at the caller's request (to retry). */
  | { kind: 'dropped'; status: number }
  /** No response: the try failed before a head arrived. */
  | { kind: 'failed'; error: UpstreamFailure; message: string; /** The mTLS server was not the destination service (client-tls.ts). */ wrongPeer?: boolean };

export interface ForwardRequest {
  method: string;
  path: string;
  headers: string[];
  body: Buffer | Readable | null;
  /** Limit on the wait for the response head, ms; 0 = none. */
  timeoutMs: number;
  /** Whether to pass a response with this status to the client (else it is dropped). */
  commit(status: number): boolean;
  /** The response head as the client gets it, from the upstream's raw `[name, value, …]` list. */
  responseHeaders(raw: readonly (Buffer | string)[]): string[];
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

function classifyUpstreamError(e: Error): UpstreamFailure {
  if (e instanceof UpstreamTimeout) return 'timeout';
  const code = (e as { code?: string }).code ?? '';
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return 'timeout';
  if (CONNECT_FAILURES.has(code)) return 'connect-failure';
  return 'reset';
}

/**
 * undici's core handler interface (onConnect/onHeaders/onData/onComplete/onError): the raw
 * response head comes as it was read, with no parsed header object and no wrapper per
 * request (the newer onRequestStart/onResponseStart API goes through an adapter that parses
 * every response's headers into an object first). One instance per try; no closures.
 */
class ForwardHandler {
  readonly #r: ForwardRequest;
  readonly #res: ServerResponse;
  readonly #resolve: (o: ForwardOutcome) => void;
  #abort: ((e: Error) => void) | undefined;
  #resume: (() => void) | undefined;
  #pendingAbort: Error | undefined;
  #timer: NodeJS.Timeout | undefined;
  #status = 0;
  #mode: 'waiting' | 'sending' | 'dropping' | 'done' = 'waiting';
  readonly #onClientGone = () => {
    if (this.#mode === 'waiting' || this.#mode === 'sending') this.abort(new ClientGone());
  };
  readonly #onDrain = () => this.#resume?.();

  constructor(r: ForwardRequest, res: ServerResponse, resolve: (o: ForwardOutcome) => void) {
    this.#r = r;
    this.#res = res;
    this.#resolve = resolve;
    if (r.timeoutMs > 0) this.#timer = setTimeout(() => this.abort(new UpstreamTimeout(r.timeoutMs)), r.timeoutMs);
    res.on('close', this.#onClientGone);
  }

  abort(e: Error): void {
    if (this.#abort) this.#abort(e);
    else this.#pendingAbort = e;
  }

  finish(outcome: ForwardOutcome): void {
    if (this.#mode === 'done') return;
    this.#mode = 'done';
    if (this.#timer) clearTimeout(this.#timer);
    this.#res.off('close', this.#onClientGone);
    if (this.#resume) this.#res.off('drain', this.#onDrain);
    this.#resolve(outcome);
  }

  onConnect(abort: (e?: Error) => void): void {
    this.#abort = abort;
    if (this.#pendingAbort) abort(this.#pendingAbort);
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    if (statusCode < 200) return true; // 1xx: wait for the final head
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#status = statusCode;
    if (!this.#r.commit(statusCode)) {
      this.#mode = 'dropping';
      return true;
    }
    this.#mode = 'sending';
    const res = this.#res;
    res.writeHead(statusCode, this.#r.responseHeaders(rawHeaders));
    this.#resume = resume;
    res.on('drain', this.#onDrain);
    // A HEAD (or 204/304) response has no body to wait for; the head goes out with end().
    return !res.writableNeedDrain;
  }

  onData(chunk: Buffer): boolean {
    if (this.#mode !== 'sending') return true;
    return this.#res.write(chunk);
  }

  onComplete(): void {
    if (this.#mode === 'dropping') return this.finish({ kind: 'dropped', status: this.#status });
    if (this.#mode === 'sending') {
      this.#res.end();
      return this.finish({ kind: 'sent', status: this.#status, complete: true });
    }
  }

  onError(error: Error): void {
    if (this.#mode === 'dropping') return this.finish({ kind: 'dropped', status: this.#status });
    if (this.#mode === 'sending') {
      // The head is out: the only honest signal left is a broken connection.
      this.#res.destroy();
      return this.finish({ kind: 'sent', status: this.#status, complete: false });
    }
    if (error instanceof ClientGone) return this.finish({ kind: 'failed', error: 'reset', message: error.message });
    this.finish({ kind: 'failed', error: classifyUpstreamError(error), message: error.message, ...(error instanceof PeerIdentityError ? { wrongPeer: true } : {}) });
  }
}

export function forward(pool: Dispatcher, r: ForwardRequest, res: ServerResponse): Promise<ForwardOutcome> {
  return new Promise<ForwardOutcome>((resolve) => {
    const handler = new ForwardHandler(r, res, resolve);
    try {
      pool.dispatch({ path: r.path, method: r.method, headers: r.headers, body: r.body, idempotent: false }, handler as Dispatcher.DispatchHandler);
    } catch (e) {
      handler.finish({ kind: 'failed', error: 'connect-failure', message: (e as Error).message });
    }
  });
}
