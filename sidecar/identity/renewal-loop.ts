// The identity's renewal loop (SPIRE: the rotator's Run): sleep until the next renewal is due,
// renew, and after a failure retry with backoff, until the signal aborts. What is due when, and
// what a renewal is, belong to the caller; the clock and the sleep can be replaced (tests).
import { sleep as abortableSleep } from '../control/backoff.ts';

export interface RenewalLoopOptions {
  signal: AbortSignal;
  backoff: { next(): number; reset(): void };
  /** When the next renewal is due (ms); undefined = now. */
  dueAt: () => number | undefined;
  renew: () => Promise<void>;
  /** A renewal failed; the next try is in `retryInMs`. Not called once the signal aborted. */
  failed: (error: unknown, retryInMs: number) => void;
  now?: () => number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export async function runRenewals(o: RenewalLoopOptions): Promise<void> {
  const now = o.now ?? Date.now;
  const sleep = o.sleep ?? abortableSleep;
  while (!o.signal.aborted) {
    const due = o.dueAt();
    if (due !== undefined && now() < due) {
      await sleep(due - now(), o.signal);
      continue;
    }
    try {
      await o.renew();
      o.backoff.reset();
    } catch (e) {
      if (o.signal.aborted) return;
      const wait = o.backoff.next();
      o.failed(e, wait);
      await sleep(wait, o.signal);
    }
  }
}
