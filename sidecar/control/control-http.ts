// Every call to control goes through here: one keep-alive pool (undici), a timeout per call, the
// client's close signal, and one classification of failures. A ControlError is `transient`
// (unreachable, timeout, 5xx, 429: retry with backoff) or definitive (any other 4xx: control
// said no). The link remembers whether the last call reached control, for status().
import { Agent, fetch } from 'undici';

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

export interface ControlResponse {
  status: number;
  headers: Headers;
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
  readonly #agent = new Agent({ keepAliveTimeout: 30_000, connections: 16 });
  readonly #closing = new AbortController();
  readonly #timeoutMs: number;
  #connected = false;
  #lastError: string | null = null;

  constructor(url: string, timeoutMs: number) {
    this.url = url;
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

  noteError(message: string): void {
    this.#lastError = message;
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
    let resHeaders: Headers;
    try {
      const res = await fetch(this.url + path, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: AbortSignal.any(signals),
        dispatcher: this.#agent,
      });
      status = res.status;
      resHeaders = res.headers as unknown as Headers;
      text = await res.text();
    } catch (e) {
      const closing = this.#closing.signal.aborted && !options.duringClose;
      const timedOut = (e as Error).name === 'TimeoutError';
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      const why = timedOut ? `no answer within ${timeoutMs} ms` : closing ? 'client closing' : (cause?.code ?? cause?.message ?? (e as Error).message);
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
