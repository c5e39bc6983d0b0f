// HTTP/2 to one upstream origin over node:http2: a few sessions (connections), each carrying
// up to MAX_STREAMS requests at once, whatever their method or body. undici's HTTP/2 client
// sends a POST or a streamed body only on a connection with nothing else in flight, which for
// gRPC (every call a POST with a streamed body) means one connection per call in flight and
// no multiplexing at all; it also costs about three times node:http2's CPU per request.
//
// It takes the same dispatch(options, handler) call and handler callbacks as undici's
// dispatchers (onConnect, onHeaders, onData, onComplete, onError), so forward.ts drives both
// alike. Trailers are delivered with onComplete after the last data. A new session is opened
// when every open one is full (up to `maxSessions`); a session that got GOAWAY or failed takes
// no new streams; an idle one closes after IDLE_MS. To another sidecar it speaks TLS with ALPN
// h2 and the mTLS options of client-tls.ts; to an app, cleartext h2c.
import { connect, constants } from 'node:http2';
import type { ClientHttp2Session, ClientHttp2Stream, IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http2';
import type { Readable } from 'node:stream';
import type { MtlsConnectOptions } from '../tls/client-tls.ts';

/** Concurrent streams per connection before another is opened (Envoy's and Node's default is 100 too). */
export const MAX_STREAMS = 100;
const IDLE_MS = 30_000;
const CONNECT_TIMEOUT_MS = 5_000;

/** What forward.ts's handler implements (undici's legacy dispatch handler). */
export interface DispatchHandler {
  onConnect(abort: (e?: Error) => void): void;
  onHeaders(status: number, rawHeaders: Buffer[], resume: () => void): boolean;
  onData(chunk: Buffer): boolean;
  onComplete(trailers: unknown): void;
  onError(e: Error): void;
}

export interface DispatchOptions {
  path: string;
  method: string;
  /** A flat `[name, value, …]` list; `host` becomes `:authority`. */
  headers: readonly string[];
  body: Buffer | Readable | null;
}

interface Session {
  h2: ClientHttp2Session;
  active: number;
  usable: boolean;
}

export class H2Pool {
  readonly origin: string;
  readonly #url: URL;
  readonly #tls: MtlsConnectOptions | undefined;
  readonly #maxSessions: number;
  #sessions: Session[] = [];
  #closed = false;

  constructor(origin: string, o: { tls?: MtlsConnectOptions; maxSessions?: number } = {}) {
    this.origin = origin;
    this.#url = new URL(origin);
    this.#tls = o.tls;
    this.#maxSessions = Math.max(1, o.maxSessions ?? 1024);
  }

  #open(): Session {
    const { maxCachedSessions: _cache, ...tls } = this.#tls ?? ({} as MtlsConnectOptions);
    const h2 = this.#tls ? connect(this.origin, { ...tls, ALPNProtocols: ['h2'] }) : connect(this.origin);
    const s: Session = { h2, active: 0, usable: true };
    const retire = () => {
      s.usable = false;
      this.#sessions = this.#sessions.filter((x) => x !== s);
    };
    // A session's error reaches each of its streams; the session is only taken out of use.
    h2.on('error', retire);
    h2.on('close', retire);
    // Told to go away: no new streams here; it closes once the ones it carries have ended.
    h2.on('goaway', () => {
      retire();
      if (!h2.closed) h2.close();
    });
    h2.setTimeout(IDLE_MS, () => {
      if (s.active === 0) h2.close();
    });
    const connectTimer = setTimeout(() => h2.destroy(Object.assign(new Error(`no HTTP/2 connection to ${this.origin} within ${CONNECT_TIMEOUT_MS} ms`), { code: 'UND_ERR_CONNECT_TIMEOUT' })), CONNECT_TIMEOUT_MS);
    connectTimer.unref();
    h2.once('connect', () => clearTimeout(connectTimer));
    h2.once('close', () => clearTimeout(connectTimer));
    this.#sessions.push(s);
    return s;
  }

  /** The least busy usable session with room, or a new one while under maxSessions, or the least busy of all. */
  #session(): Session {
    let best: Session | undefined;
    for (const s of this.#sessions) if (s.usable && !s.h2.destroyed && !s.h2.closed && (!best || s.active < best.active)) best = s;
    if (best && best.active < MAX_STREAMS) return best;
    if (!best || this.#sessions.length < this.#maxSessions) return this.#open();
    return best;
  }

  #headers(o: DispatchOptions): OutgoingHttpHeaders {
    const out: OutgoingHttpHeaders = {
      [constants.HTTP2_HEADER_METHOD]: o.method,
      [constants.HTTP2_HEADER_PATH]: o.path,
      [constants.HTTP2_HEADER_SCHEME]: this.#url.protocol === 'https:' ? 'https' : 'http',
      [constants.HTTP2_HEADER_AUTHORITY]: this.#url.host,
    };
    const l = o.headers;
    for (let i = 0; i < l.length; i += 2) {
      const name = (l[i] as string).toLowerCase();
      const value = l[i + 1] as string;
      if (name === 'host') {
        out[constants.HTTP2_HEADER_AUTHORITY] = value;
        continue;
      }
      const prev = out[name];
      out[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [String(prev), value];
    }
    return out;
  }

  dispatch(o: DispatchOptions, handler: DispatchHandler): boolean {
    if (this.#closed) {
      handler.onError(Object.assign(new Error(`the HTTP/2 pool for ${this.origin} is closed`), { code: 'UND_ERR_CLOSED' }));
      return false;
    }
    const s = this.#session();
    const body = o.body;
    let stream: ClientHttp2Stream;
    try {
      stream = s.h2.request(this.#headers(o), { endStream: body === null });
    } catch (e) {
      handler.onError(e as Error);
      return false;
    }
    s.active++;
    new H2Exchange(stream, handler, s);
    if (body !== null) {
      if (Buffer.isBuffer(body)) stream.end(body);
      else {
        // Errors of the body are the exchange's to report (the stream is reset); never unhandled.
        body.on('error', (e: Error) => stream.destroy(e));
        body.pipe(stream);
      }
    }
    return true;
  }

  /** No new requests; open sessions finish their streams, then close. */
  async close(): Promise<void> {
    this.#closed = true;
    const all = this.#sessions;
    this.#sessions = [];
    await Promise.all(all.map((s) => new Promise<void>((resolve) => (s.h2.closed ? resolve() : s.h2.close(() => resolve())))));
  }

  async destroy(): Promise<void> {
    this.#closed = true;
    for (const s of this.#sessions) s.h2.destroy();
    this.#sessions = [];
  }
}

/** One request/response on a stream, reported to the handler exactly once to its end. */
class H2Exchange {
  readonly #stream: ClientHttp2Stream;
  readonly #handler: DispatchHandler;
  #trailers: IncomingHttpHeaders | undefined;
  #headed = false;
  #done = false;

  constructor(stream: ClientHttp2Stream, handler: DispatchHandler, session: Session) {
    this.#stream = stream;
    this.#handler = handler;
    handler.onConnect((e) => this.#fail(e ?? new Error('request aborted')));
    stream.on('response', (headers) => this.#onResponse(headers));
    stream.on('data', (chunk: Buffer) => {
      if (!this.#done && !handler.onData(chunk)) stream.pause();
    });
    stream.on('trailers', (t) => (this.#trailers = t));
    stream.on('end', () => {
      if (this.#done) return;
      if (!this.#headed) return this.#fail(new Error('HTTP/2 stream ended before a response'));
      this.#done = true;
      handler.onComplete(this.#trailers ?? {});
    });
    // A stream that never started because its session failed to connect carries the session's
    // error as its cause (ECONNREFUSED, a refused server certificate): that is the failure.
    stream.on('error', (e: Error & { code?: string; cause?: unknown }) => this.#fail(e.code === 'ERR_HTTP2_STREAM_CANCEL' && e.cause instanceof Error ? e.cause : e));
    stream.on('close', () => {
      session.active--;
      if (!this.#done) this.#fail(Object.assign(new Error(`HTTP/2 stream reset by the upstream (code ${stream.rstCode ?? 0})`), { code: 'ECONNRESET' }));
    });
  }

  #onResponse(headers: IncomingHttpHeaders): void {
    if (this.#done) return;
    this.#headed = true;
    const status = Number(headers[constants.HTTP2_HEADER_STATUS]);
    const raw: Buffer[] = [];
    for (const name in headers) {
      if (name.charCodeAt(0) === 58 /* ':' */) continue;
      const v = headers[name];
      for (const value of Array.isArray(v) ? v : [v]) if (value !== undefined) raw.push(Buffer.from(name, 'latin1'), Buffer.from(String(value), 'latin1'));
    }
    if (!this.#handler.onHeaders(status, raw, () => this.#stream.resume())) this.#stream.pause();
  }

  #fail(e: Error): void {
    if (this.#done) return;
    this.#done = true;
    if (!this.#stream.destroyed) this.#stream.close(constants.NGHTTP2_CANCEL);
    this.#handler.onError(e);
  }
}

