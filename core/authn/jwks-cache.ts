// JWKS cache for end-user token issuers: stale-while-revalidate, one fetch in flight per URI.
//
//   age < ttl            → the cached set.
//   ttl ≤ age < ttl+grace → the cached set, and one background refresh (if none is in flight
//                            and the last attempt is at least minRefreshInterval old). A failed
//                            refresh keeps the old set, so an issuer outage is ridden out.
//   age ≥ ttl+grace       → a refresh is awaited; if it fails (or one failed less than
//                            minRefreshInterval ago), JwksUnavailableError.
//   no set yet            → a fetch is awaited; failure throws JwksUnavailableError.
// A token naming a `kid` that the cached set lacks (the issuer rotated keys) triggers an
// early, awaited refresh, at most once per minRefreshInterval so random kids cannot make us
// hammer the issuer. The fetched body is size-capped and must be a JWKS of public keys.
//
// `fetch` is injected (Workers `fetch`, Node's global, or a test double); it is called
// unbound so workerd's `fetch` does not complain about its receiver.
import type { JSONWebKeySet } from 'jose';
import { readCapped } from '../http/read-capped.ts';

export const DEFAULT_JWKS_TTL_MS = 5 * 60_000;
export const DEFAULT_JWKS_GRACE_MS = 60 * 60_000;
export const DEFAULT_JWKS_MIN_REFRESH_INTERVAL_MS = 30_000;
export const DEFAULT_JWKS_TIMEOUT_MS = 5_000;
export const DEFAULT_JWKS_MAX_BYTES = 256 * 1024;

export interface JwksCacheOptions {
  fetch: typeof fetch;
  /** How long a fetched set is fresh. Default 5 min. */
  ttlMs?: number;
  /** How long past ttl a stale set is still served while refreshes fail. Default 1 h. */
  graceMs?: number;
  /** Minimum time between fetch attempts for one URI once a first attempt was made (early refresh for an unknown kid, retries after a failure). Default 30 s. */
  minRefreshIntervalMs?: number;
  /** Clock in ms since the epoch. Default Date.now. */
  now?: () => number;
  /** Per-fetch timeout. Default 5 s. */
  timeoutMs?: number;
  /** Largest accepted JWKS body. Default 256 KiB. */
  maxBytes?: number;
}

export interface JwksGetOptions {
  /** The token's `kid`: when the cached set lacks it, refresh early (rate-limited). */
  kid?: string;
  /** Keeps a background refresh alive past the response (Workers `ctx.waitUntil`). */
  waitUntil?: (promise: Promise<unknown>) => void;
}

/** The issuer's keys cannot be had: never fetched successfully, or stale beyond the grace period. */
export class JwksUnavailableError extends Error {
  readonly code = 'jwks_unavailable';
  readonly uri: string;
  constructor(uri: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'JwksUnavailableError';
    this.uri = uri;
  }
}

interface Entry {
  keys: JSONWebKeySet | null;
  fetchedAt: number;
  lastAttemptAt: number;
  lastError: Error | null;
  inflight: Promise<JSONWebKeySet> | null;
}

export class JwksCache {
  readonly #fetch: typeof fetch;
  readonly #ttlMs: number;
  readonly #graceMs: number;
  readonly #minRefreshIntervalMs: number;
  readonly #now: () => number;
  readonly #timeoutMs: number;
  readonly #maxBytes: number;
  readonly #entries = new Map<string, Entry>();

  constructor(options: JwksCacheOptions) {
    if (typeof options?.fetch !== 'function') throw new TypeError('JwksCache needs a fetch function');
    this.#fetch = options.fetch;
    this.#ttlMs = nonNegative('ttlMs', options.ttlMs ?? DEFAULT_JWKS_TTL_MS);
    this.#graceMs = nonNegative('graceMs', options.graceMs ?? DEFAULT_JWKS_GRACE_MS);
    this.#minRefreshIntervalMs = nonNegative('minRefreshIntervalMs', options.minRefreshIntervalMs ?? DEFAULT_JWKS_MIN_REFRESH_INTERVAL_MS);
    this.#now = options.now ?? Date.now;
    this.#timeoutMs = nonNegative('timeoutMs', options.timeoutMs ?? DEFAULT_JWKS_TIMEOUT_MS);
    this.#maxBytes = nonNegative('maxBytes', options.maxBytes ?? DEFAULT_JWKS_MAX_BYTES);
  }

  /** The key set at `uri` (see the file comment for freshness rules). Throws JwksUnavailableError. */
  async get(uri: string, options: JwksGetOptions = {}): Promise<JSONWebKeySet> {
    let entry = this.#entries.get(uri);
    if (!entry) {
      entry = { keys: null, fetchedAt: 0, lastAttemptAt: Number.NEGATIVE_INFINITY, lastError: null, inflight: null };
      this.#entries.set(uri, entry);
    }
    const e = entry;
    const mayAttempt = () => e.inflight !== null || this.#now() - e.lastAttemptAt >= this.#minRefreshIntervalMs;

    if (entry.keys === null) {
      if (!mayAttempt()) throw this.#unavailable(uri, entry, 'the last fetch failed moments ago');
      return this.#refresh(uri, entry);
    }

    const kid = options.kid;
    if (kid !== undefined && !entry.keys.keys.some((k) => k.kid === kid) && mayAttempt()) {
      try {
        return await this.#refresh(uri, entry);
      } catch {
        // Fall through: the stale rules below decide whether the old set may still be used.
      }
    }

    const age = this.#now() - entry.fetchedAt;
    if (age < this.#ttlMs) return entry.keys;
    if (age < this.#ttlMs + this.#graceMs) {
      if (entry.inflight === null && mayAttempt()) {
        const background = this.#refresh(uri, entry).catch(() => undefined);
        options.waitUntil?.(background);
      }
      return entry.keys;
    }
    if (!mayAttempt()) throw this.#unavailable(uri, entry, `the cached key set is older than ${this.#ttlMs + this.#graceMs} ms and the last refresh failed`);
    return this.#refresh(uri, entry);
  }

  /** Drops every cached set (tests, or a snapshot that no longer names an issuer). */
  clear(): void {
    this.#entries.clear();
  }

  #unavailable(uri: string, entry: Entry, why: string): JwksUnavailableError {
    const detail = entry.lastError ? `: ${entry.lastError.message}` : '';
    return new JwksUnavailableError(uri, `JWKS ${uri} is unavailable (${why})${detail}`, { cause: entry.lastError ?? undefined });
  }

  /** Starts (or joins) the one fetch in flight for `uri`; resolves with the new set. */
  #refresh(uri: string, entry: Entry): Promise<JSONWebKeySet> {
    if (entry.inflight) return entry.inflight;
    entry.lastAttemptAt = this.#now();
    const run = async (): Promise<JSONWebKeySet> => {
      try {
        const keys = await this.#download(uri);
        entry.keys = keys;
        entry.fetchedAt = this.#now();
        entry.lastError = null;
        return keys;
      } catch (e) {
        entry.lastError = e instanceof Error ? e : new Error(String(e));
        const message = `could not fetch JWKS ${uri}: ${entry.lastError.message}`;
        throw new JwksUnavailableError(uri, message, { cause: e });
      } finally {
        entry.inflight = null;
      }
    };
    entry.inflight = run();
    return entry.inflight;
  }

  async #download(uri: string): Promise<JSONWebKeySet> {
    const doFetch = this.#fetch;
    let response: Response;
    try {
      response = await doFetch(uri, { method: 'GET', headers: { accept: 'application/json, application/jwk-set+json' }, signal: AbortSignal.timeout(this.#timeoutMs) });
    } catch (e) {
      const err = e as Error;
      if (err?.name === 'TimeoutError' || err?.name === 'AbortError') throw new Error(`no answer within ${this.#timeoutMs} ms`, { cause: e });
      throw new Error(err?.message ?? String(e), { cause: e });
    }
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      throw new Error(`HTTP ${response.status}`);
    }
    const text = new TextDecoder().decode(await readCapped(response, this.#maxBytes));
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new Error('the body is not JSON');
    }
    return checkJwks(body);
  }
}

function nonNegative(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`JwksCache ${name} must be a non-negative number, got ${value}`);
  return value;
}

/** A JWKS of public keys: `{ keys: [ { kty, … }, … ] }`, at least one key, no private or symmetric material. */
export function checkJwks(body: unknown): JSONWebKeySet {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new Error('the body is not a JWKS (expected an object with "keys")');
  const keys = (body as { keys?: unknown }).keys;
  if (!Array.isArray(keys)) throw new Error('the body is not a JWKS (no "keys" array)');
  if (keys.length === 0) throw new Error('the JWKS has no keys');
  keys.forEach((k: unknown, i) => {
    if (typeof k !== 'object' || k === null || Array.isArray(k)) throw new Error(`JWKS key ${i} is not an object`);
    const jwk = k as Record<string, unknown>;
    if (typeof jwk.kty !== 'string') throw new Error(`JWKS key ${i} has no "kty"`);
    if (jwk.kid !== undefined && typeof jwk.kid !== 'string') throw new Error(`JWKS key ${i} has a non-string "kid"`);
    if ('d' in jwk || 'k' in jwk) throw new Error(`JWKS key ${i} holds private or symmetric key material; refusing the set`);
  });
  return { keys: keys as JSONWebKeySet['keys'] };
}
