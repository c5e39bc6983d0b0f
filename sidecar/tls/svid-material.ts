// The material mutual TLS is made of: this workload's X.509-SVID and private key (from the
// identity manager) and the CA certificates peers must chain to (from the trust bundle). Both
// halves change independently (renewal at half life, CA rotation); every change makes one new
// immutable WorkloadTls, so the data path sees old or new, never half of each.
import type { WorkloadTls } from '../types.ts';

export interface X509Svid {
  spiffeId: string;
  certificatePem: string;
  privateKeyPem: string;
  issuedAt: number;
  expiresAt: number;
}

export type TlsListener = (tls: WorkloadTls | undefined) => void;

export class TlsMaterial {
  #svid: X509Svid | undefined;
  #authorities: readonly string[] = [];
  #current: WorkloadTls | undefined;
  readonly #listeners = new Set<TlsListener>();

  get svid(): X509Svid | undefined {
    return this.#svid;
  }

  get authorities(): readonly string[] {
    return this.#authorities;
  }

  /** The current material, or undefined when there is no SVID, no CA, or the SVID has expired. */
  current(now = Date.now()): WorkloadTls | undefined {
    const c = this.#current;
    return c && c.expiresAt > now ? c : undefined;
  }

  setSvid(svid: X509Svid): void {
    const old = this.#svid;
    if (old && old.certificatePem === svid.certificatePem && old.privateKeyPem === svid.privateKeyPem) return;
    this.#svid = { ...svid };
    this.#rebuild();
  }

  /** The CA certificates in the bundle; a change (a CA joined or left) makes new material. */
  setAuthorities(pems: readonly string[]): void {
    const next = [...new Set(pems.map((p) => p.trim()))].filter((p) => p !== '');
    if (next.length === this.#authorities.length && next.every((p, i) => p === this.#authorities[i])) return;
    this.#authorities = Object.freeze(next);
    this.#rebuild();
  }

  /** Called with each new material from now on; returns the unsubscribe function. */
  onChange(listener: TlsListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #rebuild(): void {
    const s = this.#svid;
    this.#current =
      s && this.#authorities.length > 0
        ? Object.freeze({ spiffeId: s.spiffeId, certificatePem: s.certificatePem, privateKeyPem: s.privateKeyPem, authorities: this.#authorities, issuedAt: s.issuedAt, expiresAt: s.expiresAt })
        : undefined;
    for (const l of this.#listeners) {
      try {
        l(this.#current);
      } catch {
        // a listener's failure is its own
      }
    }
  }
}
