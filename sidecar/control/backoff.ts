// Exponential backoff with full jitter (a random whole-ms wait in [0, min(max, base·2^n)), core's
// backoffMs), and a sleep that ends early when the client closes.
import { backoffMs } from '../../core/resilience/retry-policy.ts';

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
    // Retry n of core's backoffMs waits up to base·2^(n−1); the exponent stays capped at 30.
    const wait = backoffMs(Math.min(this.#attempt, 30) + 1, { baseMs: this.#baseMs, maxMs: this.#maxMs }, Math.random);
    this.#attempt++;
    return wait;
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
