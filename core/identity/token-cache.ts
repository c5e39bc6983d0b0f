// A cache of short-lived signed tokens: a token is reused while more than `reuseFraction` of its
// lifetime is left (by default half), so a busy proxy signs once per key per half-lifetime
// instead of once per request, and a receiver never gets a token about to expire. Bounded:
// past `maxEntries` the oldest entries go first. The same idea as Envoy/SPIRE JWT-SVID caches.
import { setBounded } from '../collections/bounded-map.ts';

export interface CachedToken {
  token: string;
  issuedAt: number;
  expiresAt: number;
}

export class TokenCache {
  readonly #entries = new Map<string, CachedToken>();
  readonly #maxEntries: number;
  readonly #reuseFraction: number;
  readonly #now: () => number;

  constructor(options: { maxEntries?: number; reuseFraction?: number; now?: () => number } = {}) {
    this.#maxEntries = options.maxEntries ?? 10_000;
    this.#reuseFraction = options.reuseFraction ?? 0.5;
    this.#now = options.now ?? Date.now;
  }

  /** The cached token for `key` if it still has enough life left, without minting (synchronous). */
  fresh(key: string): string | undefined {
    const hit = this.#entries.get(key);
    if (hit && this.#now() < hit.expiresAt - (hit.expiresAt - hit.issuedAt) * this.#reuseFraction) return hit.token;
    return undefined;
  }

  /** The cached token for `key` if it still has enough life left; else a fresh one from `mint`. */
  async get(key: string, mint: () => Promise<CachedToken>): Promise<string> {
    const hit = this.fresh(key);
    if (hit !== undefined) return hit;
    const fresh = await mint();
    setBounded(this.#entries, key, fresh, this.#maxEntries);
    return fresh.token;
  }

  get size(): number {
    return this.#entries.size;
  }
}
