// This workload's identity from control: the controlToken (a JWT-SVID for control, the
// credential of every workload call) got with the join token once and renewed with itself at
// half its life; and JWT-SVIDs per audience for the data path, cached (TokenCache: reused for
// half their life), shared by concurrent askers, refreshed in the background while in use, and
// served from the cache during a control outage while still valid. Persisted to disk (0600).
import { decodeJwt } from 'jose';
import { parseSpiffeId } from '../../core/identity/spiffe-id.ts';
import { TokenCache } from '../../core/identity/token-cache.ts';
import type { CachedToken } from '../../core/identity/token-cache.ts';
import type { LkgStore } from '../state/lkg-store.ts';
import { LKG_FILES } from '../state/lkg-store.ts';
import { Backoff, sleep } from './backoff.ts';
import { ControlError } from './control-http.ts';
import type { ControlLink } from './control-http.ts';
import type { Logger } from './options.ts';

/** A definitive identity problem found locally (wrong SPIFFE ID, nothing to prove who we are with). */
export class IdentityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IdentityError';
  }
}

interface SvidAnswer {
  spiffeId: string;
  controlToken: { token: string; expiresAt: string };
  jwtSvids?: { audience: string; token: string; expiresAt: string }[];
}

interface StoredIdentity extends SvidAnswer {
  jwtSvids: { audience: string; token: string; expiresAt: string }[];
}

/** A token at least this close to its expiry is not used. */
const EXPIRY_MARGIN_MS = 1_000;

function cached(token: string, expiresAtIso: string): CachedToken {
  const expiresAt = Date.parse(expiresAtIso);
  let issuedAt = Date.now();
  try {
    const iat = decodeJwt(token).iat;
    if (typeof iat === 'number') issuedAt = iat * 1000;
  } catch {
    // not a JWT we can read: count its life from now
  }
  return { token, issuedAt: Math.min(issuedAt, expiresAt), expiresAt };
}

function asAnswer(v: unknown): SvidAnswer | undefined {
  const a = v as Partial<SvidAnswer> | null;
  if (!a || typeof a.spiffeId !== 'string' || typeof a.controlToken?.token !== 'string' || typeof a.controlToken.expiresAt !== 'string') return undefined;
  if (a.jwtSvids !== undefined && !Array.isArray(a.jwtSvids)) return undefined;
  return a as SvidAnswer;
}

export interface IdentityManagerOptions {
  link: ControlLink;
  store: LkgStore;
  log: Logger;
  namespace: string;
  service: string;
  joinToken: string | undefined;
  backoff: { baseMs: number; maxMs: number };
}

export class IdentityManager {
  readonly #o: IdentityManagerOptions;
  #spiffeId: string | undefined;
  #trustDomain: string | undefined;
  #control: CachedToken | undefined;
  /** The newest JWT-SVID per audience (outage fallback, persistence). */
  readonly #jwt = new Map<string, CachedToken>();
  readonly #cache = new TokenCache({ maxEntries: 1_000 });
  readonly #inflight = new Map<string, Promise<string>>();
  readonly #lastUsed = new Map<string, number>();
  readonly #timers = new Map<string, NodeJS.Timeout>();
  #waiters: (() => void)[] = [];
  #persisting: Promise<void> = Promise.resolve();

  constructor(options: IdentityManagerOptions) {
    this.#o = options;
  }

  get spiffeId(): string | undefined {
    return this.#spiffeId;
  }

  get trustDomain(): string | undefined {
    return this.#trustDomain;
  }

  /** When the controlToken expires (ms), if there is one. */
  get expiresAt(): number | undefined {
    return this.#control?.expiresAt;
  }

  /** The controlToken while it is valid. */
  controlToken(): string | undefined {
    const c = this.#control;
    return c && c.expiresAt - Date.now() > EXPIRY_MARGIN_MS ? c.token : undefined;
  }

  /** The controlToken as soon as there is a valid one; undefined when the client closes first. */
  async waitForToken(signal: AbortSignal): Promise<string | undefined> {
    while (!signal.aborted) {
      const token = this.controlToken();
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

  /** Loads a still-valid identity for this service from disk; false when there is none. */
  async loadFromDisk(): Promise<boolean> {
    const text = await this.#o.store.read(LKG_FILES.identity);
    if (text === undefined) return false;
    let stored: SvidAnswer | undefined;
    try {
      stored = asAnswer(JSON.parse(text));
    } catch {
      stored = undefined;
    }
    const file = this.#o.store.path(LKG_FILES.identity);
    if (!stored) {
      this.#o.log({ level: 'warn', msg: 'stored identity is unreadable; ignoring it', file });
      return false;
    }
    try {
      this.#checkId(stored.spiffeId);
    } catch (e) {
      this.#o.log({ level: 'warn', msg: 'stored identity is for another workload; ignoring it', file, error: (e as Error).message });
      return false;
    }
    const control = cached(stored.controlToken.token, stored.controlToken.expiresAt);
    if (!(control.expiresAt - Date.now() > EXPIRY_MARGIN_MS)) {
      this.#o.log({ level: 'info', msg: 'stored identity has expired', file, expiredAt: stored.controlToken.expiresAt });
      return false;
    }
    this.#spiffeId = stored.spiffeId;
    this.#trustDomain = parseSpiffeId(stored.spiffeId)?.trustDomain;
    this.#control = control;
    for (const s of stored.jwtSvids ?? []) {
      const t = cached(s.token, s.expiresAt);
      if (t.expiresAt - Date.now() <= EXPIRY_MARGIN_MS) continue;
      this.#jwt.set(s.audience, t);
      await this.#cache.get(s.audience, () => Promise.resolve(t));
    }
    this.#wake();
    return true;
  }

  /** Gets SVIDs from control: with the controlToken while it is valid, else with the join token. */
  async acquire(): Promise<void> {
    const current = this.controlToken();
    const credential = current ?? this.#o.joinToken;
    if (!credential)
      throw new IdentityError(
        `no join token, and no valid identity for ${this.#o.namespace}/${this.#o.service} in ${this.#o.store.dir}: give the sidecar a join token (POST /v1/identity/join-tokens)`,
      );
    let text: string;
    try {
      text = (await this.#o.link.call('POST', '/v1/identity/svid', { token: credential, body: {} })).text;
    } catch (e) {
      // A controlToken control no longer accepts (key replaced without overlap): join again if we can.
      if (!(current && this.#o.joinToken && e instanceof ControlError && e.status === 401)) throw e;
      this.#o.log({ level: 'warn', msg: 'control refused the identity; joining again with the join token', error: e.message });
      text = (await this.#o.link.call('POST', '/v1/identity/svid', { token: this.#o.joinToken, body: {} })).text;
    }
    this.#adopt(text);
  }

  /** Renews the controlToken at half its life (after a failure: backoff) until the client closes. */
  async run(): Promise<void> {
    const signal = this.#o.link.signal;
    const backoff = new Backoff(this.#o.backoff);
    while (!signal.aborted) {
      const c = this.#control;
      if (c && this.controlToken()) {
        const renewAt = c.issuedAt + (c.expiresAt - c.issuedAt) / 2;
        if (Date.now() < renewAt) {
          await sleep(renewAt - Date.now(), signal);
          continue;
        }
      }
      try {
        const first = this.#control === undefined;
        await this.acquire();
        backoff.reset();
        this.#o.log({ level: 'info', msg: first ? 'workload identity obtained' : 'workload identity renewed', spiffeId: this.#spiffeId, expiresAt: new Date(this.#control?.expiresAt ?? 0).toISOString() });
      } catch (e) {
        if (signal.aborted) return;
        const wait = backoff.next();
        this.#o.log({ level: e instanceof ControlError && e.transient ? 'warn' : 'error', msg: 'cannot get or renew the workload identity; retrying', error: (e as Error).message, retryInMs: Math.round(wait) });
        await sleep(wait, signal);
      }
    }
  }

  /** This workload's JWT-SVID for `audience`. */
  jwtSvid(audience: string): Promise<string> {
    if (typeof audience !== 'string' || audience === '') return Promise.reject(new TypeError('jwtSvid: audience must be a non-empty string'));
    this.#lastUsed.set(audience, Date.now());
    return this.#shared(audience);
  }

  /** Stops background refreshes. */
  stop(): void {
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
    this.#wake();
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
    try {
      return await this.#cache.get(audience, () => this.#mint(audience));
    } catch (e) {
      const last = this.#jwt.get(audience);
      if (last && last.expiresAt - Date.now() > EXPIRY_MARGIN_MS) return last.token;
      throw new Error(`no JWT-SVID for audience ${audience}: ${(e as Error).message}`, { cause: e });
    }
  }

  async #mint(audience: string): Promise<CachedToken> {
    const token = this.controlToken();
    if (!token) throw new Error('this sidecar has no valid workload identity (control has not been reachable, or the identity expired)');
    const text = (await this.#o.link.call('POST', '/v1/identity/svid', { token, body: { audiences: [audience] } })).text;
    this.#adopt(text);
    const minted = this.#jwt.get(audience);
    if (!minted) throw new Error(`control answered without a JWT-SVID for audience ${audience}`);
    return minted;
  }

  #checkId(spiffeId: string): void {
    const id = parseSpiffeId(spiffeId);
    const expected = `/ns/${this.#o.namespace}/sa/${this.#o.service}`;
    if (!id || id.namespace !== this.#o.namespace || id.service !== this.#o.service)
      throw new IdentityError(
        `control issued the SPIFFE ID "${spiffeId}", but this sidecar is configured as ${this.#o.namespace}/${this.#o.service} (expected spiffe://<trust-domain>${expected}); is the join token for another service?`,
      );
  }

  #adopt(text: string): void {
    let answer: SvidAnswer | undefined;
    try {
      answer = asAnswer(JSON.parse(text));
    } catch {
      answer = undefined;
    }
    if (!answer) throw new Error('POST /v1/identity/svid: the answer has no spiffeId and controlToken');
    this.#checkId(answer.spiffeId);
    this.#spiffeId = answer.spiffeId;
    this.#trustDomain = parseSpiffeId(answer.spiffeId)?.trustDomain;
    this.#control = cached(answer.controlToken.token, answer.controlToken.expiresAt);
    for (const s of answer.jwtSvids ?? []) {
      const t = cached(s.token, s.expiresAt);
      this.#jwt.set(s.audience, t);
      this.#scheduleRefresh(s.audience, t);
    }
    this.#persist();
    this.#wake();
  }

  /** Just after half its life (when TokenCache stops reusing it), refresh a token still in use. */
  #scheduleRefresh(audience: string, t: CachedToken): void {
    clearTimeout(this.#timers.get(audience));
    const life = t.expiresAt - t.issuedAt;
    const timer = setTimeout(() => {
      this.#timers.delete(audience);
      if (this.#o.link.signal.aborted) return;
      if (Date.now() - (this.#lastUsed.get(audience) ?? 0) > life) return; // not in use: let it lapse
      this.#shared(audience).catch((e: unknown) => this.#o.log({ level: 'warn', msg: 'background JWT-SVID refresh failed', audience, error: (e as Error).message }));
    }, Math.max(0, t.issuedAt + life / 2 + 50 - Date.now()));
    timer.unref();
    this.#timers.set(audience, timer);
  }

  #persist(): void {
    const c = this.#control;
    if (!c || !this.#spiffeId) return;
    const now = Date.now();
    const stored: StoredIdentity = {
      spiffeId: this.#spiffeId,
      controlToken: { token: c.token, expiresAt: new Date(c.expiresAt).toISOString() },
      jwtSvids: [...this.#jwt].filter(([, t]) => t.expiresAt > now).map(([audience, t]) => ({ audience, token: t.token, expiresAt: new Date(t.expiresAt).toISOString() })),
    };
    const text = JSON.stringify(stored);
    this.#persisting = this.#persisting
      .then(() => this.#o.store.write(LKG_FILES.identity, text))
      .catch((e: unknown) => this.#o.log({ level: 'warn', msg: 'cannot persist the identity', error: String(e) }));
  }

  /** Resolves when pending identity writes are on disk. */
  flush(): Promise<void> {
    return this.#persisting;
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}
