// One upstream exchange over undici's dispatch API, written straight into the client's
// DownstreamResponse: no Web Request/Response, no buffering. Back-pressure both ways (undici
// pulls a streamed request body as the socket drains; a slow client pauses the upstream
// body). The caller decides when the response head arrives whether to pass it on or to
// drop it and retry (`commit`); a dropped response's body is read and discarded so its
// connection stays in the pool. The timeout bounds the wait for the response head; after
// that the body streams for as long as it flows (undici's bodyTimeout catches a stalled one).
//
// HTTP/2 and gRPC: the upstream's trailers (`grpc-status`, `grpc-message`, `-bin` metadata)
// follow the body to the client. A trailers-only answer (grpc-status in the head, no body)
// stays trailers-only: gRPC clients read a status only from a HEADERS frame that ends the
// stream, so that head is not written until the upstream's stream has ended.
import { Http2ServerResponse } from 'node:http2';
import type { OutgoingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { PeerIdentityError } from '../tls/client-tls.ts';
import type { DownstreamResponse } from './front-door.ts';
import type { ResponseCodec } from './grpc-web-bridge.ts';
import { H2Pool } from './h2-pool.ts';

const ignore = () => undefined;

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
  /** Whether to pass a response with this status (and gRPC status, when the head carries one) to the client (else it is dropped). */
  commit(status: number, grpcStatus?: number): boolean;
  /** The response head as the client gets it, from the upstream's raw `[name, value, …]` list. */
  responseHeaders(raw: readonly (Buffer | string)[]): string[];
  /** Re-encodes the response for the client (the gRPC-Web bridge); none: passed as it comes. */
  codec?: ResponseCodec;
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

const text = (v: Buffer | string): string => (typeof v === 'string' ? v : v.toString('latin1'));

/** The `grpc-status` of a response head (a trailers-only gRPC answer), if it has one. */
export function grpcStatusOf(raw: readonly (Buffer | string)[]): number | undefined {
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as Buffer | string;
    if (name.length === 11 && text(name).toLowerCase() === 'grpc-status') {
      const n = Number(text(raw[i + 1] as Buffer | string));
      return Number.isInteger(n) ? n : undefined;
    }
  }
  return undefined;
}

/** The gRPC status each response carried to its client (head or trailers), for the access log and metrics. */
const grpcStatusSent = new WeakMap<DownstreamResponse, number>();
/** Responses this sidecar broke off itself (the upstream failed mid-body): unfinished, yet not abandoned by their client. */
const cutOff = new WeakSet<DownstreamResponse>();

/** Whether the sidecar itself broke `res` off (so an unfinished response is not the client's doing). */
export function cutBySidecar(res: DownstreamResponse): boolean {
  return cutOff.has(res);
}

/** The gRPC status a response carried to the client: a forwarded one, or the sidecar's own answer's. */
export function sentGrpcStatus(res: DownstreamResponse): number | null {
  const forwarded = grpcStatusSent.get(res);
  if (forwarded !== undefined) return forwarded;
  const own = res.getHeader('grpc-status');
  return own === undefined ? null : Number(own);
}

/** undici's trailers (a raw `[name, value, …]` list over HTTP/1.1, an object over HTTP/2) as headers to add, or undefined when there are none. */
export function trailersOf(t: unknown): OutgoingHttpHeaders | undefined {
  if (!t || typeof t !== 'object') return undefined;
  const out: Record<string, string | string[]> = {};
  let any = false;
  const add = (name: string, value: string) => {
    if (name.charCodeAt(0) === 58 /* ':' */) return;
    const prev = out[name];
    out[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
    any = true;
  };
  if (Array.isArray(t)) for (let i = 0; i + 1 < t.length; i += 2) add(text(t[i] as Buffer | string).toLowerCase(), text(t[i + 1] as Buffer | string));
  else for (const [name, value] of Object.entries(t as Record<string, string | string[]>)) for (const v of Array.isArray(value) ? value : [value]) add(name, String(v));
  return any ? out : undefined;
}

/** Sets a flat `[name, value, …]` head on a response without sending it (end() sends it). */
function setHead(res: Http2ServerResponse, status: number, list: readonly string[]): void {
  res.statusCode = status;
  const grouped = new Map<string, string[]>();
  for (let i = 0; i < list.length; i += 2) {
    const name = list[i] as string;
    const values = grouped.get(name);
    if (values) values.push(list[i + 1] as string);
    else grouped.set(name, [list[i + 1] as string]);
  }
  for (const [name, values] of grouped) res.setHeader(name, values.length === 1 ? (values[0] as string) : values);
}

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
export class ForwardHandler {
  readonly #r: ForwardRequest;
  readonly #res: DownstreamResponse;
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

  constructor(r: ForwardRequest, res: DownstreamResponse, resolve: (o: ForwardOutcome) => void) {
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
    const grpcStatus = grpcStatusOf(rawHeaders);
    if (!this.#r.commit(statusCode, grpcStatus)) {
      this.#mode = 'dropping';
      return true;
    }
    this.#mode = 'sending';
    const res = this.#res;
    if (grpcStatus !== undefined) grpcStatusSent.set(res, grpcStatus);
    const head = this.#r.codec ? this.#r.codec.head(this.#r.responseHeaders(rawHeaders)) : this.#r.responseHeaders(rawHeaders);
    if (grpcStatus !== undefined && res instanceof Http2ServerResponse) setHead(res, statusCode, head);
    else res.writeHead(statusCode, head);
    this.#resume = resume;
    res.on('drain', this.#onDrain);
    // A HEAD (or 204/304) response has no body to wait for; the head goes out with end().
    return !res.writableNeedDrain;
  }

  onData(chunk: Buffer): boolean {
    if (this.#mode !== 'sending') return true;
    return this.#res.write(this.#r.codec ? this.#r.codec.data(chunk) : chunk);
  }

  onComplete(trailers?: unknown): void {
    if (this.#mode === 'dropping') return this.finish({ kind: 'dropped', status: this.#status });
    if (this.#mode === 'sending') {
      const t = trailersOf(trailers);
      if (t?.['grpc-status'] !== undefined) grpcStatusSent.set(this.#res, Number(t['grpc-status']));
      if (this.#r.codec) {
        const tail = this.#r.codec.end(t);
        if (tail) this.#res.write(tail);
      } else if (t) this.#res.addTrailers(t);
      this.#res.end();
      return this.finish({ kind: 'sent', status: this.#status, complete: true });
    }
  }

  onError(error: Error): void {
    if (this.#mode === 'dropping') return this.finish({ kind: 'dropped', status: this.#status });
    if (this.#mode === 'sending') {
      // The head is out: the only honest signal left is a broken connection.
      cutOff.add(this.#res);
      this.#res.destroy();
      return this.finish({ kind: 'sent', status: this.#status, complete: false });
    }
    if (error instanceof ClientGone) return this.finish({ kind: 'failed', error: 'reset', message: error.message });
    this.finish({ kind: 'failed', error: classifyUpstreamError(error), message: error.message, ...(error instanceof PeerIdentityError ? { wrongPeer: true } : {}) });
  }
}

export function forward(pool: Pick<Dispatcher, 'dispatch'> | H2Pool, r: ForwardRequest, res: DownstreamResponse): Promise<ForwardOutcome> {
  return new Promise<ForwardOutcome>((resolve) => {
    const handler = new ForwardHandler(r, res, resolve);
    try {
      // A body stream's errors are reported through the handler (the try fails); an 'error'
      // event nobody listens to would end the process (a client that cancelled, a timeout).
      if (r.body !== null && !Buffer.isBuffer(r.body)) r.body.on('error', ignore);
      if (pool instanceof H2Pool) pool.dispatch({ path: r.path, method: r.method, headers: r.headers, body: r.body }, handler);
      else pool.dispatch({ path: r.path, method: r.method, headers: r.headers, body: r.body, idempotent: false }, handler as Dispatcher.DispatchHandler);
    } catch (e) {
      handler.finish({ kind: 'failed', error: 'connect-failure', message: (e as Error).message });
    }
  });
}
