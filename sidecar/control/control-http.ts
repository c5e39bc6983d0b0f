// Every call to control goes through here: one keep-alive pool (undici), a timeout per call, the
// client's close signal, and one classification of failures. A ControlError is `transient`
// (unreachable, timeout, 5xx, 429: retry with backoff) or definitive (any other 4xx: control
// said no). The link remembers whether the last call reached control, for status().
//
// undici's dispatcher `request` API, not its `fetch`: fetch brings undici's whole web stack
// (Request/Response/Headers, body mixins, web streams), several MB of RSS per sidecar, while
// `request` is already in the bundle for the proxy's mirrors (see sidecar/build.ts).
import { Agent } from 'undici';

export class ControlError extends Error {
  /** HTTP status, or 0 when control was not reached. */
  readonly status: number;
  /** The `error.code` of control's answer, or `unreachable` / `timeout`. */
  readonly code: string;
  readonly transient: boolean;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'ControlError';
    this.status = status;
    this.code = code;
    this.transient = status === 0 || status === 408 || status === 429 || status >= 500;
  }
}

export function isTransient(e: unknown): boolean {
  return e instanceof ControlError ? e.transient : false;
}

/** Response headers, read by name (case-insensitive); repeated ones joined with `, `. */
export interface ResponseHeaders {
  get(name: string): string | null;
}

function responseHeaders(raw: Record<string, string | string[] | undefined>): ResponseHeaders {
  return {
    get(name) {
      const v = raw[name.toLowerCase()];
      return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
    },
  };
}

export interface ControlResponse {
  status: number;
  headers: ResponseHeaders;
  text: string;
}

export interface CallOptions {
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** Overrides the link's request timeout (long polls). */
  timeoutMs?: number;
  /** Runs even after the client started closing (deregistration, final status). */
  duringClose?: boolean;
}

export class ControlLink {
  readonly url: string;
  readonly #origin: string;
  readonly #basePath: string;
  readonly #agent = new Agent({ keepAliveTimeout: 30_000, connections: 16 });
  readonly #closing = new AbortController();
  readonly #timeoutMs: number;
  #connected = false;
  #lastError: string | null = null;

  constructor(url: string, timeoutMs: number) {
    this.url = url;
    const u = new URL(url);
    this.#origin = u.origin;
    this.#basePath = u.pathname.replace(/\/+$/, '');
    this.#timeoutMs = timeoutMs;
  }

  /** Aborts when the client closes: loops stop, in-flight long polls end. */
  get signal(): AbortSignal {
    return this.#closing.signal;
  }

  get connected(): boolean {
    return this.#connected;
  }

  get lastError(): string | null {
    return this.#lastError;
  }

  /** One call; resolves for 2xx/3xx, throws a ControlError otherwise. */
  async call(method: string, path: string, options: CallOptions = {}): Promise<ControlResponse> {
    const timeoutMs = options.timeoutMs ?? this.#timeoutMs;
    const signals = [AbortSignal.timeout(timeoutMs)];
    if (!options.duringClose) signals.push(this.#closing.signal);
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    let status: number;
    let text: string;
    let resHeaders: ResponseHeaders;
    try {
      const res = await this.#agent.request({
        origin: this.#origin,
        path: this.#basePath + path,
        method: method as 'GET',
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: AbortSignal.any(signals),
      });
      status = res.statusCode;
      resHeaders = responseHeaders(res.headers);
      text = await res.body.text();
    } catch (e) {
      const closing = this.#closing.signal.aborted && !options.duringClose;
      // An abort rejects with the signal's reason: AbortSignal.timeout's is a TimeoutError.
      const timedOut = (e as Error).name === 'TimeoutError';
      const err0 = e as { code?: string; message?: string; cause?: { code?: string; message?: string } };
      const why = timedOut ? `no answer within ${timeoutMs} ms` : closing ? 'client closing' : (err0.code ?? err0.cause?.code ?? err0.message ?? String(e));
      const err = new ControlError(0, timedOut ? 'timeout' : 'unreachable', `${method} ${path}: control at ${this.url} unreachable (${why})`);
      if (!closing) {
        this.#connected = false;
        this.#lastError = err.message;
      }
      throw err;
    }
    if (status >= 400) {
      let code = `http_${status}`;
      let message = text.slice(0, 300);
      try {
        const parsed = JSON.parse(text) as { error?: { code?: string; message?: string } };
        if (parsed.error?.code) code = parsed.error.code;
        if (parsed.error?.message) message = parsed.error.message;
      } catch {
        // not JSON: keep the raw text
      }
      const err = new ControlError(status, code, `${method} ${path}: control answered ${status} ${code}: ${message}`);
      this.#connected = status < 500;
      this.#lastError = err.message;
      throw err;
    }
    this.#connected = true;
    return { status, headers: resHeaders, text };
  }

  /** Stops every loop's calls; call destroy() after the last close-time calls. */
  abort(): void {
    this.#closing.abort();
  }

  async destroy(): Promise<void> {
    await this.#agent.destroy();
  }
}
