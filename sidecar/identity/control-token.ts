// What proves this workload to control (SPIRE: the agent attests once with a join token, then
// renews with its own SVID). First the join token, spent once control accepts it (a join token
// is used once); from then on the controlToken, a JWT-SVID for control that control answered,
// renewed at half its life with itself. The one exception: control refuses the controlToken
// (401, its key replaced without overlap) and the join token is still unspent (the identity came
// from disk): then the join token is used.
import { ControlError } from '../control/control-http.ts';
import type { Logger } from '../control/options.ts';
import { halfLife, usable } from './tokens.ts';
import type { CachedToken } from './tokens.ts';

/** A definitive identity problem found locally (wrong SPIFFE ID, nothing to prove who we are with). */
export class IdentityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IdentityError';
  }
}

export interface ControlTokenOptions {
  joinToken: string | undefined;
  /** Who, and where its state is, for the error when there is nothing to prove it with. */
  workload: string;
  log: Logger;
  now?: () => number;
}

export class ControlToken {
  readonly #o: ControlTokenOptions;
  readonly #now: () => number;
  #joinSpent = false;
  #held: CachedToken | undefined;
  #waiters: (() => void)[] = [];

  constructor(options: ControlTokenOptions) {
    this.#o = options;
    this.#now = options.now ?? (() => Date.now());
  }

  /** The controlToken held (valid or not), if control ever answered one. */
  get held(): CachedToken | undefined {
    return this.#held;
  }

  /** Whether the join token is still there to be used. */
  get canJoin(): boolean {
    return this.#o.joinToken !== undefined && !this.#joinSpent;
  }

  /** The controlToken while it is valid. */
  current(): string | undefined {
    const t = this.#held;
    return usable(t, this.#now()) ? t.token : undefined;
  }

  /** When the controlToken is due for renewal (half its life); undefined when there is no valid one. */
  renewAt(): number | undefined {
    return this.current() === undefined ? undefined : halfLife(this.#held as CachedToken);
  }

  /** A controlToken control answered; wakes whoever waits for one. */
  set(token: CachedToken): void {
    this.#held = token;
    this.wake();
  }

  /**
   * Runs `call` with what proves this workload now: the valid controlToken, else the unspent
   * join token (spent when `call` resolves: control accepted it). Throws IdentityError when
   * there is neither.
   */
  async prove<T>(call: (credential: string) => Promise<T>): Promise<T> {
    const own = this.current();
    if (own === undefined) return this.#join(call);
    try {
      return await call(own);
    } catch (e) {
      if (!(this.canJoin && e instanceof ControlError && e.status === 401)) throw e;
      this.#o.log({ level: 'warn', msg: 'control refused the identity; joining again with the join token', error: e.message });
      return this.#join(call);
    }
  }

  async #join<T>(call: (credential: string) => Promise<T>): Promise<T> {
    const join = this.#o.joinToken;
    if (join === undefined || this.#joinSpent) {
      const why = join === undefined ? 'no join token' : 'the join token was used already (a join token is used once)';
      throw new IdentityError(`${why}, and no valid identity for ${this.#o.workload}: give the sidecar a ${join === undefined ? '' : 'new '}join token (POST /v1/identity/join-tokens)`);
    }
    const answer = await call(join);
    this.#joinSpent = true;
    return answer;
  }

  /** The controlToken as soon as there is a valid one; undefined when `signal` aborts first. */
  async waitFor(signal: AbortSignal): Promise<string | undefined> {
    while (!signal.aborted) {
      const token = this.current();
      if (token) return token;
      await new Promise<void>((resolve) => {
        const done = (): void => {
          signal.removeEventListener('abort', done);
          resolve();
        };
        this.#waiters.push(done);
        signal.addEventListener('abort', done, { once: true });
      });
    }
    return undefined;
  }

  /** Wakes every waitFor (a new token, or the client stopping). */
  wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}
