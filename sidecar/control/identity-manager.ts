// This workload's identity from control: the controlToken (a JWT-SVID for control, the
// credential of every workload call) got with the join token once and renewed with itself at
// half its life; and JWT-SVIDs per audience for the data path, cached (TokenCache: reused for
// half their life), shared by concurrent askers, refreshed in the background while in use, and
// served from the cache during a control outage while still valid. Persisted to disk (0600).
// Also the X.509-SVID for mutual TLS: every call to control carries a CSR for a key made here
// (stored 0600 in its own file, never sent), so each renewal brings a fresh certificate; it
// is renewed at half its life with the controlToken, and the CA bundle in each answer goes to
// onAuthorities. When it cannot be renewed and is about to expire, x509Problem() says why.
import { decodeJwt } from 'jose';
import { createWorkloadCsr } from '../../core/identity/csr.ts';
import { formatSpiffeId, parseSpiffeId } from '../../core/identity/spiffe-id.ts';
import { verifyX509Svid } from '../../core/identity/x509-svid-verify.ts';
import { TokenCache } from '../../core/identity/token-cache.ts';
import type { CachedToken } from '../../core/identity/token-cache.ts';
import type { LkgStore } from '../state/lkg-store.ts';
import { LKG_FILES } from '../state/lkg-store.ts';
import { keyMatchesCertificate } from '../tls/key-file.ts';
import type { TlsMaterial, X509Svid } from '../tls/svid-material.ts';
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
  x509Svid?: { certificatePem: string; expiresAt: string };
  bundle?: { x509Authorities?: unknown };
}

interface StoredIdentity extends SvidAnswer {
  jwtSvids: { audience: string; token: string; expiresAt: string }[];
  /** The X.509-SVID (its key is in its own file, svid-key.pem); issuedAt = when it was received. */
  x509Svid?: { certificatePem: string; expiresAt: string; issuedAt?: string };
}

/** Not ready when the X.509-SVID has less than this share of its life left (renewal is due at half). */
const X509_NOT_READY_SHARE = 0.25;

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
  /** Where the X.509-SVID goes (with its key); none = no CSR is sent. */
  tls?: TlsMaterial;
  /** The trust domain when this sidecar has none yet (from the bundle), so the first CSR can name the SPIFFE ID. */
  trustDomainHint?: () => string | undefined;
  /** The CA certificates of each answer's bundle. */
  onAuthorities?: (pems: string[]) => void;
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
  /** The last renewal failure while the X.509-SVID was still held (for x509Problem). */
  #renewError: { at: number; message: string } | undefined;
  /** Control answered a CSR without an X.509-SVID (an older control): do not insist. */
  #x509Unsupported = false;

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
    await this.#loadX509(stored as StoredIdentity);
    this.#wake();
    return true;
  }

  async #loadX509(stored: StoredIdentity): Promise<void> {
    const x = stored.x509Svid;
    const tls = this.#o.tls;
    if (!tls || !x || typeof x.certificatePem !== 'string') return;
    const expiresAt = Date.parse(x.expiresAt);
    if (!(expiresAt - Date.now() > EXPIRY_MARGIN_MS)) return;
    const key = await this.#o.store.read(LKG_FILES.svidKey).catch(() => undefined);
    if (!key || !keyMatchesCertificate(key, x.certificatePem)) {
      this.#o.log({ level: 'warn', msg: 'stored X.509-SVID has no matching key; a new one is requested', file: this.#o.store.path(LKG_FILES.svidKey) });
      return;
    }
    const issuedAt = Date.parse(x.issuedAt ?? '');
    tls.setSvid({ spiffeId: stored.spiffeId, certificatePem: x.certificatePem, privateKeyPem: key, issuedAt: Number.isFinite(issuedAt) ? issuedAt : Date.now(), expiresAt });
  }

  /** The X.509-SVID held now, if any. */
  get x509Svid(): X509Svid | undefined {
    return this.#o.tls?.svid;
  }

  /**
   * Why this sidecar cannot serve mutual TLS (much longer), or undefined: no X.509-SVID, or
   * one with less than a quarter of its life left because renewals keep failing.
   */
  x509Problem(now = Date.now()): string | undefined {
    if (!this.#o.tls || this.#x509Unsupported) return undefined;
    const x = this.#o.tls.svid;
    const why = this.#renewError ? `; renewal failing since ${new Date(this.#renewError.at).toISOString()}: ${this.#renewError.message}` : '';
    if (!x) return `no X.509-SVID yet${why}`;
    if (x.expiresAt <= now) return `the X.509-SVID expired at ${new Date(x.expiresAt).toISOString()}${why}`;
    if (x.expiresAt - now < (x.expiresAt - x.issuedAt) * X509_NOT_READY_SHARE)
      return `the X.509-SVID expires at ${new Date(x.expiresAt).toISOString()} and could not be renewed${why}`;
    return undefined;
  }

  /** Gets SVIDs from control: with the controlToken while it is valid, else with the join token. */
  async acquire(): Promise<void> {
    const current = this.controlToken();
    const credential = current ?? this.#o.joinToken;
    if (!credential)
      throw new IdentityError(
        `no join token, and no valid identity for ${this.#o.namespace}/${this.#o.service} in ${this.#o.store.dir}: give the sidecar a join token (POST /v1/identity/join-tokens)`,
      );
    let csr = await this.#csr();
    const call = async (token: string): Promise<string> => {
      try {
        return (await this.#o.link.call('POST', '/v1/identity/svid', { token, body: csr ? { csr: csr.csrPem } : {} })).text;
      } catch (e) {
        // The CSR names the SPIFFE ID this sidecar is configured for, and the credential proves
        // another one: ask without the CSR (a refused CSR leaves a join token unused), so the
        // answer's SPIFFE ID is checked below and the error says what is wrong.
        if (!(csr && e instanceof ControlError && e.code === 'wrong_spiffe_id')) throw e;
        csr = undefined;
        return (await this.#o.link.call('POST', '/v1/identity/svid', { token, body: {} })).text;
      }
    };
    let text: string;
    try {
      text = await call(credential);
    } catch (e) {
      // A controlToken control no longer accepts (key replaced without overlap): join again if we can.
      if (!(current && this.#o.joinToken && e instanceof ControlError && e.status === 401)) throw e;
      this.#o.log({ level: 'warn', msg: 'control refused the identity; joining again with the join token', error: e.message });
      text = await call(this.#o.joinToken);
    }
    await this.#adopt(text, csr?.privateKeyPem);
    // The first join did not know the trust domain, so it could not name the SPIFFE ID: ask again.
    if (!csr && this.#o.tls && this.#spiffeId) await this.acquire();
  }

  /** A CSR for a new key when the SPIFFE ID is known (it is the CSR's only URI SAN). */
  async #csr(): Promise<{ csrPem: string; privateKeyPem: string } | undefined> {
    if (!this.#o.tls) return undefined;
    let spiffeId = this.#spiffeId;
    const td = this.#o.trustDomainHint?.();
    if (!spiffeId && td) {
      try {
        spiffeId = formatSpiffeId(td, this.#o.namespace, this.#o.service);
      } catch {
        spiffeId = undefined;
      }
    }
    return spiffeId ? createWorkloadCsr({ spiffeId }) : undefined;
  }

  /** Renews the controlToken at half its life (after a failure: backoff) until the client closes. */
  async run(): Promise<void> {
    const signal = this.#o.link.signal;
    const backoff = new Backoff(this.#o.backoff);
    while (!signal.aborted) {
      const c = this.#control;
      if (c && this.controlToken()) {
        const renewAt = this.#renewAt(c);
        if (Date.now() < renewAt) {
          await sleep(renewAt - Date.now(), signal);
          continue;
        }
      }
      try {
        const first = this.#control === undefined;
        await this.acquire();
        backoff.reset();
        this.#renewError = undefined;
        const x = this.#o.tls?.svid;
        this.#o.log({
          level: 'info',
          msg: first ? 'workload identity obtained' : 'workload identity renewed',
          spiffeId: this.#spiffeId,
          expiresAt: new Date(this.#control?.expiresAt ?? 0).toISOString(),
          x509ExpiresAt: x ? new Date(x.expiresAt).toISOString() : null,
        });
      } catch (e) {
        if (signal.aborted) return;
        const wait = backoff.next();
        this.#renewError = { at: this.#renewError?.at ?? Date.now(), message: (e as Error).message };
        const problem = this.x509Problem();
        this.#o.log({
          level: problem || !(e instanceof ControlError && e.transient) ? 'error' : 'warn',
          msg: 'cannot get or renew the workload identity; retrying',
          error: (e as Error).message,
          retryInMs: Math.round(wait),
          ...(problem ? { notReady: problem } : {}),
        });
        await sleep(wait, signal);
      }
    }
  }

  /** When the next renewal is due: half the life of the controlToken or of the X.509-SVID, whichever comes first. */
  #renewAt(c: CachedToken): number {
    let at = c.issuedAt + (c.expiresAt - c.issuedAt) / 2;
    if (this.#o.tls && !this.#x509Unsupported && this.#spiffeId) {
      const x = this.#o.tls.svid;
      at = x ? Math.min(at, x.issuedAt + (x.expiresAt - x.issuedAt) / 2) : Date.now();
    }
    return at;
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
    await this.#adopt(text);
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

  async #adopt(text: string, privateKeyPem?: string): Promise<void> {
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
    const authorities = Array.isArray(answer.bundle?.x509Authorities) ? answer.bundle.x509Authorities.filter((p): p is string => typeof p === 'string') : undefined;
    if (authorities && authorities.length > 0) this.#o.onAuthorities?.(authorities);
    if (privateKeyPem !== undefined) await this.#adoptX509(answer, privateKeyPem, authorities ?? [...(this.#o.tls?.authorities ?? [])]);
    this.#persist();
    this.#wake();
  }

  /** Checks the X.509-SVID of an answer to our CSR, writes its key (0600) and puts both in use. */
  async #adoptX509(answer: SvidAnswer, privateKeyPem: string, authorities: string[]): Promise<void> {
    const tls = this.#o.tls;
    const x = answer.x509Svid;
    if (!tls) return;
    if (!x || typeof x.certificatePem !== 'string') {
      if (!this.#x509Unsupported) this.#o.log({ level: 'warn', msg: 'control answered the CSR without an X.509-SVID; mutual TLS is unavailable' });
      this.#x509Unsupported = true;
      return;
    }
    this.#x509Unsupported = false;
    const verified = await verifyX509Svid(x.certificatePem, authorities);
    if (!verified.ok) throw new Error(`control issued an X.509-SVID that does not verify against its own bundle (${verified.code}): ${verified.message}`);
    if (verified.spiffeId !== answer.spiffeId) throw new Error(`control issued an X.509-SVID for ${verified.spiffeId}, not ${answer.spiffeId}`);
    if (!keyMatchesCertificate(privateKeyPem, x.certificatePem)) throw new Error('control issued an X.509-SVID for another key than the one in the CSR');
    await this.#o.store.write(LKG_FILES.svidKey, privateKeyPem);
    tls.setSvid({ spiffeId: verified.spiffeId, certificatePem: x.certificatePem, privateKeyPem, issuedAt: Date.now(), expiresAt: verified.expiresAt });
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
    const x = this.#o.tls?.svid;
    if (x && x.expiresAt > now)
      stored.x509Svid = { certificatePem: x.certificatePem, expiresAt: new Date(x.expiresAt).toISOString(), issuedAt: new Date(x.issuedAt).toISOString() };
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
