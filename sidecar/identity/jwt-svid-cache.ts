// This workload's JWT-SVIDs for the data path, one per audience (SPIRE: pkg/agent/manager/cache/
// jwt_cache.go, and the agent manager's "expires soon" check). A token is reused while more than
// half its life is left; past that the next ask mints a new one, and concurrent askers share one
// mint. Just after half its life a token still in use is refreshed in the background, so askers
// rarely wait. When minting fails (control unreachable) the last token is served while valid.
import { setBounded } from '../../core/collections/bounded-map.ts';
import type { Logger } from '../control/options.ts';
import { halfLife, usable } from './tokens.ts';
import type { CachedToken } from './tokens.ts';

/** Runs `fn` after `ms`; returns the cancel function. */
export type Schedule = (fn: () => void, ms: number) => () => void;

/** setTimeout that does not keep the process alive. */
export const unrefTimer: Schedule = (fn, ms) => {
  const t = setTimeout(fn, ms);
  t.unref();
  return () => clearTimeout(t);
};

/** The refresh fires this long after half life, so the token is surely no longer reused then. */
const REFRESH_SLACK_MS = 50;

export interface JwtSvidCacheOptions {
  /** Gets a new JWT-SVID for `audience` from control. */
  mint: (audience: string) => Promise<CachedToken>;
  log: Logger;
  now?: () => number;
  schedule?: Schedule;
  maxEntries?: number;
  /** No background refresh once this is true (the client closed). */
  closed?: () => boolean;
}

export class JwtSvidCache {
  readonly #o: JwtSvidCacheOptions;
  readonly #now: () => number;
  readonly #max: number;
  readonly #entries = new Map<string, CachedToken>();
  readonly #lastUsed = new Map<string, number>();
  readonly #inflight = new Map<string, Promise<string>>();
  readonly #cancels = new Map<string, () => void>();

  constructor(options: JwtSvidCacheOptions) {
    this.#o = options;
    this.#now = options.now ?? (() => Date.now());
    this.#max = options.maxEntries ?? 1_000;
  }

  /** This workload's JWT-SVID for `audience`. */
  get(audience: string): Promise<string> {
    if (typeof audience !== 'string' || audience === '') return Promise.reject(new TypeError('jwtSvid: audience must be a non-empty string'));
    setBounded(this.#lastUsed, audience, this.#now(), this.#max);
    return this.#shared(audience);
  }

  /** Keeps `token` as the newest for `audience` (minted, in an answer, or from disk) and plans its refresh. */
  put(audience: string, token: CachedToken): void {
    setBounded(this.#entries, audience, token, this.#max);
    this.#cancels.get(audience)?.();
    const life = token.expiresAt - token.issuedAt;
    const cancel = (this.#o.schedule ?? unrefTimer)(
      () => {
        this.#cancels.delete(audience);
        if (this.#o.closed?.()) return;
        if (this.#now() - (this.#lastUsed.get(audience) ?? -Infinity) > life) return; // not in use: let it lapse
        this.#shared(audience).catch((e: unknown) => this.#o.log({ level: 'warn', msg: 'background JWT-SVID refresh failed', audience, error: (e as Error).message }));
      },
      Math.max(0, halfLife(token) + REFRESH_SLACK_MS - this.#now()),
    );
    this.#cancels.set(audience, cancel);
  }

  /** The unexpired tokens, per audience (to persist). */
  entries(): [string, CachedToken][] {
    const now = this.#now();
    return [...this.#entries].filter(([, t]) => t.expiresAt > now);
  }

  /** Cancels the background refreshes. */
  stop(): void {
    for (const cancel of this.#cancels.values()) cancel();
    this.#cancels.clear();
  }

  #shared(audience: string): Promise<string> {
    let p = this.#inflight.get(audience);
    if (!p) {
      p = this.#get(audience).finally(() => this.#inflight.delete(audience));
      this.#inflight.set(audience, p);
    }
    return p;
  }

  async #get(audience: string): Promise<string> {
    const hit = this.#entries.get(audience);
    if (hit && this.#now() < halfLife(hit)) return hit.token;
    try {
      const minted = await this.#o.mint(audience);
      this.put(audience, minted);
      return minted.token;
    } catch (e) {
      const last = this.#entries.get(audience);
      if (usable(last, this.#now())) return last.token;
      throw new Error(`no JWT-SVID for audience ${audience}: ${(e as Error).message}`, { cause: e });
    }
  }
}
