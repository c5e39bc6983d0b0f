// The long-poll loop both watches share: `GET <path>?wait=N` with `If-None-Match: "<version
// seen>"` (the one applied, or the one refused, so a bad version is not fetched again and
// again), a 200 handed to `consider`, a 304 polled again, failures retried with backoff.
import { Backoff, sleep } from './backoff.ts';
import { ControlError } from './control-http.ts';
import type { ControlLink } from './control-http.ts';
import type { IdentityManager } from './identity-manager.ts';
import type { Logger } from './options.ts';

export interface WatchOptions {
  what: string;
  path: string;
  link: ControlLink;
  identity: IdentityManager;
  log: Logger;
  longPollSeconds: number;
  requestTimeoutMs: number;
  backoff: { baseMs: number; maxMs: number };
  /** The version to name in If-None-Match (applied or refused), if any. */
  seen(): string | undefined;
  /**
   * A 200's body and its version header. Returns false when nothing was learned that would
   * stop the same answer coming back at once (then the loop backs off).
   */
  consider(body: string, version: string | null): Promise<boolean>;
}

/** Fetches once (no wait) when there is a controlToken; errors are the caller's. */
export async function fetchOnce(o: WatchOptions, wait: boolean): Promise<void> {
  const token = o.identity.controlToken();
  if (!token) return;
  const seen = o.seen();
  const res = await o.link.call('GET', wait ? `${o.path}?wait=${o.longPollSeconds}` : o.path, {
    token,
    headers: seen ? { 'if-none-match': `"${seen}"` } : {},
    timeoutMs: (wait ? o.longPollSeconds * 1000 : 0) + o.requestTimeoutMs,
  });
  if (res.status === 200) {
    if (!(await o.consider(res.text, res.headers.get('etag')?.replace(/^(W\/)?"|"$/g, '') ?? null))) throw new Error(`${o.what}: nothing usable in the answer`);
  } else if (wait && o.longPollSeconds === 0) {
    // No long poll configured: do not turn a 304 into a busy loop.
    await sleep(o.backoff.baseMs, o.link.signal);
  }
}

export async function runWatch(o: WatchOptions): Promise<void> {
  const signal = o.link.signal;
  const backoff = new Backoff(o.backoff);
  while (!signal.aborted) {
    if (!(await o.identity.waitForToken(signal))) return;
    try {
      await fetchOnce(o, true);
      backoff.reset();
    } catch (e) {
      if (signal.aborted) return;
      const wait = backoff.next();
      // Nothing pushed yet is not a failure: control held the long poll, then said so.
      if (!(e instanceof ControlError && e.code === 'nothing_pushed'))
        o.log({ level: 'warn', msg: `${o.what} watch failed; retrying`, error: (e as Error).message, retryInMs: Math.round(wait) });
      await sleep(wait, signal);
    }
  }
}
