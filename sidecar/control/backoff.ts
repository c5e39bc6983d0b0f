// Exponential backoff with full jitter (a random wait in [0, min(max, base·2^n)]), and a sleep
// that ends early when the client closes.
export class Backoff {
  #attempt = 0;
  readonly #baseMs: number;
  readonly #maxMs: number;

  constructor(options: { baseMs: number; maxMs: number }) {
    this.#baseMs = Math.max(1, options.baseMs);
    this.#maxMs = Math.max(this.#baseMs, options.maxMs);
  }

  /** The next wait, in ms. */
  next(): number {
    const cap = Math.min(this.#maxMs, this.#baseMs * 2 ** Math.min(this.#attempt, 30));
    this.#attempt++;
    return Math.random() * cap;
  }

  reset(): void {
    this.#attempt = 0;
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. Never rejects. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
