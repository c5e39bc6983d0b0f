// This workload's identity from control: a thin composition of the units in sidecar/identity/,
// split along SPIRE's lines. ControlToken: what proves this workload to control (the join token
// once, then its own controlToken). SvidClient: the call to control and the check that its
// answer names this workload. JwtSvidCache: JWT-SVIDs per audience for the data path.
// X509Rotator: the X.509-SVID for mutual TLS (a CSR for a key made here with every call to
// control, renewed at half its life). IdentityStore: identity.json and the key file, the
// last-known-good loaded at start. runRenewals: the loop that renews them all in one call.
import { formatSpiffeId, parseSpiffeId } from '../../core/identity/spiffe-id.ts';
import { ControlToken } from '../identity/control-token.ts';
import { IdentityStore } from '../identity/identity-store.ts';
import { JwtSvidCache } from '../identity/jwt-svid-cache.ts';
import { runRenewals } from '../identity/renewal-loop.ts';
import { SvidClient } from '../identity/svid-client.ts';
import type { SvidAnswer } from '../identity/svid-client.ts';
import { cachedToken, usable } from '../identity/tokens.ts';
import type { CachedToken } from '../identity/tokens.ts';
import { X509Rotator } from '../identity/x509-rotator.ts';
import type { Csr } from '../identity/x509-rotator.ts';
import type { LkgStore } from '../state/lkg-store.ts';
import type { TlsMaterial, X509Svid } from '../tls/svid-material.ts';
import { Backoff } from './backoff.ts';
import { ControlError } from './control-http.ts';
import type { ControlLink } from './control-http.ts';
import type { Logger } from './options.ts';

export { IdentityError } from '../identity/control-token.ts';

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
  readonly #token: ControlToken;
  readonly #jwt: JwtSvidCache;
  readonly #x509: X509Rotator | undefined;
  readonly #disk: IdentityStore;
  readonly #client: SvidClient;
  #spiffeId: string | undefined;
  #trustDomain: string | undefined;

  constructor(options: IdentityManagerOptions) {
    const o = (this.#o = options);
    this.#token = new ControlToken({ joinToken: o.joinToken, workload: `${o.namespace}/${o.service} in ${o.store.dir}`, log: o.log });
    this.#jwt = new JwtSvidCache({ mint: (audience) => this.#mint(audience), log: o.log, closed: () => o.link.signal.aborted });
    this.#disk = new IdentityStore(o.store, o.log);
    this.#client = new SvidClient(o);
    this.#x509 = o.tls ? new X509Rotator({ tls: o.tls, keys: this.#disk.keys, log: o.log }) : undefined;
  }

  get spiffeId(): string | undefined {
    return this.#spiffeId;
  }

  get trustDomain(): string | undefined {
    return this.#trustDomain;
  }

  /** When the controlToken expires (ms), if there is one. */
  get expiresAt(): number | undefined {
    return this.#token.held?.expiresAt;
  }

  /** The controlToken while it is valid. */
  controlToken(): string | undefined {
    return this.#token.current();
  }

  /** The controlToken as soon as there is a valid one; undefined when the client closes first. */
  waitForToken(signal: AbortSignal): Promise<string | undefined> {
    return this.#token.waitFor(signal);
  }

  /** The X.509-SVID held now, if any. */
  get x509Svid(): X509Svid | undefined {
    return this.#x509?.svid;
  }

  /** Why this sidecar cannot serve mutual TLS (much longer), or undefined. */
  x509Problem(now = Date.now()): string | undefined {
    return this.#x509?.problem(now);
  }

  /** This workload's JWT-SVID for `audience`. */
  jwtSvid(audience: string): Promise<string> {
    return this.#jwt.get(audience);
  }

  /** Loads a still-valid identity for this service from disk; false when there is none. */
  async loadFromDisk(): Promise<boolean> {
    const stored = await this.#disk.read();
    if (!stored) return false;
    const now = Date.now();
    try {
      this.#client.checkId(stored.spiffeId);
    } catch (e) {
      this.#o.log({ level: 'warn', msg: 'stored identity is for another workload; ignoring it', file: this.#disk.file, error: (e as Error).message });
      return false;
    }
    const control = cachedToken(stored.controlToken.token, stored.controlToken.expiresAt, now);
    if (!usable(control, now)) {
      this.#o.log({ level: 'info', msg: 'stored identity has expired', file: this.#disk.file, expiredAt: stored.controlToken.expiresAt });
      return false;
    }
    this.#setId(stored.spiffeId);
    for (const s of stored.jwtSvids) {
      const t = cachedToken(s.token, s.expiresAt, now);
      if (usable(t, now)) this.#jwt.put(s.audience, t);
    }
    if (this.#x509 && stored.x509Svid) await this.#x509.restore(stored.spiffeId, stored.x509Svid);
    this.#token.set(control);
    return true;
  }

  /** Gets SVIDs from control: with the controlToken while it is valid, else with the join token. */
  async acquire(): Promise<void> {
    const { text, csr } = await this.#token.prove(async (token) => this.#client.request(token, { csr: await this.#csr() }));
    await this.#adopt(this.#client.parse(text), csr?.privateKeyPem);
    // The first join did not know the trust domain, so it could not name the SPIFFE ID: ask again.
    if (!csr && this.#x509 && this.#spiffeId) await this.acquire();
  }

  /** Renews at half the life of the controlToken or of the X.509-SVID, whichever is first (after a failure: backoff), until the client closes. */
  run(): Promise<void> {
    return runRenewals({
      signal: this.#o.link.signal,
      backoff: new Backoff(this.#o.backoff),
      dueAt: () => this.#renewAt(),
      renew: async () => {
        const first = this.#token.held === undefined;
        await this.acquire();
        this.#x509?.renewed();
        const x = this.#x509?.svid;
        const msg = first ? 'workload identity obtained' : 'workload identity renewed';
        this.#o.log({ level: 'info', msg, spiffeId: this.#spiffeId, expiresAt: new Date(this.expiresAt ?? 0).toISOString(), x509ExpiresAt: x ? new Date(x.expiresAt).toISOString() : null });
      },
      failed: (e, wait) => {
        this.#x509?.failed((e as Error).message);
        const problem = this.x509Problem();
        this.#o.log({
          level: problem || !(e instanceof ControlError && e.transient) ? 'error' : 'warn',
          msg: 'cannot get or renew the workload identity; retrying',
          error: (e as Error).message,
          retryInMs: Math.round(wait),
          ...(problem ? { notReady: problem } : {}),
        });
      },
    });
  }

  /** Stops background refreshes. */
  stop(): void {
    this.#jwt.stop();
    this.#token.wake();
  }

  /** Resolves when pending identity writes are on disk. */
  flush(): Promise<void> {
    return this.#disk.flush();
  }

  /** undefined = renew now (no valid controlToken). */
  #renewAt(): number | undefined {
    const at = this.#token.renewAt();
    const x = this.#spiffeId ? this.#x509?.renewAt() : undefined;
    return at === undefined || x === undefined ? at : Math.min(at, x);
  }

  /** A CSR for a new key when the SPIFFE ID is known (it is the CSR's only URI SAN). */
  async #csr(): Promise<Csr | undefined> {
    if (!this.#x509) return undefined;
    let spiffeId = this.#spiffeId;
    const td = this.#o.trustDomainHint?.();
    if (!spiffeId && td) {
      try {
        spiffeId = formatSpiffeId(td, this.#o.namespace, this.#o.service);
      } catch {
        spiffeId = undefined;
      }
    }
    return spiffeId ? this.#x509.csr(spiffeId) : undefined;
  }

  async #mint(audience: string): Promise<CachedToken> {
    const token = this.controlToken();
    if (!token) throw new Error('this sidecar has no valid workload identity (control has not been reachable, or the identity expired)');
    const answer = this.#client.parse((await this.#client.request(token, { audiences: [audience] })).text);
    await this.#adopt(answer);
    const minted = answer.jwtSvids?.find((s) => s.audience === audience);
    if (!minted) throw new Error(`control answered without a JWT-SVID for audience ${audience}`);
    return cachedToken(minted.token, minted.expiresAt, Date.now());
  }

  #setId(spiffeId: string): void {
    this.#spiffeId = spiffeId;
    this.#trustDomain = parseSpiffeId(spiffeId)?.trustDomain;
  }

  async #adopt(answer: SvidAnswer, privateKeyPem?: string): Promise<void> {
    const now = Date.now();
    this.#setId(answer.spiffeId);
    this.#token.set(cachedToken(answer.controlToken.token, answer.controlToken.expiresAt, now));
    for (const s of answer.jwtSvids ?? []) this.#jwt.put(s.audience, cachedToken(s.token, s.expiresAt, now));
    if (answer.authorities) this.#o.onAuthorities?.(answer.authorities);
    if (privateKeyPem !== undefined && this.#x509) await this.#x509.accept(answer.spiffeId, answer.x509Svid, privateKeyPem, answer.authorities ?? this.#x509.authorities);
    this.#persist();
  }

  #persist(): void {
    const c = this.#token.held;
    if (!c || !this.#spiffeId) return;
    const x509Svid = this.#x509?.stored();
    this.#disk.save({
      spiffeId: this.#spiffeId,
      controlToken: { token: c.token, expiresAt: new Date(c.expiresAt).toISOString() },
      jwtSvids: this.#jwt.entries().map(([audience, t]) => ({ audience, token: t.token, expiresAt: new Date(t.expiresAt).toISOString() })),
      ...(x509Svid ? { x509Svid } : {}),
    });
  }
}
