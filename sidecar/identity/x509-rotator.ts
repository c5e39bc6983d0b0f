// This workload's X.509-SVID (SPIRE: pkg/agent/svid/rotator.go). Each renewal makes a new P-256
// key here and sends control only its CSR; the certificate that comes back is checked (chains to
// the bundle, names our SPIFFE ID, is for our key), its key written to its own 0600 file, and
// only then are both swapped in at once (TlsMaterial makes one new immutable WorkloadTls, so the
// data path sees old or new, never half of each). Due again at half its life; when renewals keep
// failing and less than a quarter of its life is left, problem() says why (not ready).
import { createWorkloadCsr } from '../../core/identity/csr.ts';
import { verifyX509Svid } from '../../core/identity/x509-svid-verify.ts';
import type { Logger } from '../control/options.ts';
import { keyMatchesCertificate } from '../tls/key-file.ts';
import type { TlsMaterial, X509Svid } from '../tls/svid-material.ts';
import { EXPIRY_MARGIN_MS, halfLife } from './tokens.ts';

/** Not ready when the X.509-SVID has less than this share of its life left (renewal is due at half). */
export const X509_NOT_READY_SHARE = 0.25;

export interface Csr {
  csrPem: string;
  privateKeyPem: string;
}

/** The X.509-SVID as stored (its key is in its own file); issuedAt = when it was received. */
export interface StoredX509Svid {
  certificatePem: string;
  expiresAt: string;
  issuedAt?: string;
}

export interface X509RotatorOptions {
  tls: TlsMaterial;
  /** The key's own file (LKG_FILES.svidKey). */
  keys: { file: string; read(): Promise<string | undefined>; write(privateKeyPem: string): Promise<void> };
  log: Logger;
  now?: () => number;
}

export class X509Rotator {
  readonly #o: X509RotatorOptions;
  readonly #now: () => number;
  /** Control answered a CSR without an X.509-SVID (an older control): do not insist. */
  #unsupported = false;
  /** Since when renewals fail, and the last reason, while they do. */
  #failing: { at: number; message: string } | undefined;

  constructor(options: X509RotatorOptions) {
    this.#o = options;
    this.#now = options.now ?? (() => Date.now());
  }

  /** The X.509-SVID in use, if any. */
  get svid(): X509Svid | undefined {
    return this.#o.tls.svid;
  }

  /** The CA certificates in use now (to check an answer that brought none). */
  get authorities(): readonly string[] {
    return this.#o.tls.authorities;
  }

  /** A CSR for a new key; `spiffeId` is its only URI SAN. */
  csr(spiffeId: string): Promise<Csr> {
    return createWorkloadCsr({ spiffeId });
  }

  /** Checks the X.509-SVID answered to our CSR (`privateKeyPem` is the CSR's key), writes the key, then puts both in use. */
  async accept(spiffeId: string, x509: { certificatePem?: unknown } | undefined, privateKeyPem: string, authorities: readonly string[]): Promise<void> {
    if (!x509 || typeof x509.certificatePem !== 'string') {
      if (!this.#unsupported) this.#o.log({ level: 'warn', msg: 'control answered the CSR without an X.509-SVID; mutual TLS is unavailable' });
      this.#unsupported = true;
      return;
    }
    this.#unsupported = false;
    const certificatePem = x509.certificatePem;
    const verified = await verifyX509Svid(certificatePem, authorities, { now: this.#now() });
    if (!verified.ok) throw new Error(`control issued an X.509-SVID that does not verify against its own bundle (${verified.code}): ${verified.message}`);
    if (verified.spiffeId !== spiffeId) throw new Error(`control issued an X.509-SVID for ${verified.spiffeId}, not ${spiffeId}`);
    if (!keyMatchesCertificate(privateKeyPem, certificatePem)) throw new Error('control issued an X.509-SVID for another key than the one in the CSR');
    await this.#o.keys.write(privateKeyPem);
    this.#o.tls.setSvid({ spiffeId, certificatePem, privateKeyPem, issuedAt: this.#now(), expiresAt: verified.expiresAt });
  }

  /** Puts a stored, unexpired X.509-SVID back in use if its key file matches; false when it is not used. */
  async restore(spiffeId: string, stored: StoredX509Svid): Promise<boolean> {
    const now = this.#now();
    const expiresAt = Date.parse(stored.expiresAt);
    if (!(expiresAt - now > EXPIRY_MARGIN_MS)) return false;
    const key = await this.#o.keys.read().catch(() => undefined);
    if (!key || !keyMatchesCertificate(key, stored.certificatePem)) {
      this.#o.log({ level: 'warn', msg: 'stored X.509-SVID has no matching key; a new one is requested', file: this.#o.keys.file });
      return false;
    }
    const issuedAt = Date.parse(stored.issuedAt ?? '');
    this.#o.tls.setSvid({ spiffeId, certificatePem: stored.certificatePem, privateKeyPem: key, issuedAt: Number.isFinite(issuedAt) ? issuedAt : now, expiresAt });
    return true;
  }

  /** The unexpired X.509-SVID to store (without its key), if any. */
  stored(): StoredX509Svid | undefined {
    const x = this.svid;
    if (!x || x.expiresAt <= this.#now()) return undefined;
    return { certificatePem: x.certificatePem, expiresAt: new Date(x.expiresAt).toISOString(), issuedAt: new Date(x.issuedAt).toISOString() };
  }

  /** When a renewal is due: half the held SVID's life, now when there is none, undefined when control issues none. */
  renewAt(): number | undefined {
    if (this.#unsupported) return undefined;
    const x = this.svid;
    return x ? halfLife(x) : this.#now();
  }

  /** A renewal failed (of the SVID or of the identity it is renewed with). */
  failed(message: string): void {
    this.#failing = { at: this.#failing?.at ?? this.#now(), message };
  }

  renewed(): void {
    this.#failing = undefined;
  }

  /** Why mutual TLS cannot be served (much longer), or undefined. */
  problem(now = this.#now()): string | undefined {
    if (this.#unsupported) return undefined;
    const x = this.svid;
    const f = this.#failing;
    const why = f ? `; renewal failing since ${new Date(f.at).toISOString()}: ${f.message}` : '';
    if (!x) return `no X.509-SVID yet${why}`;
    if (x.expiresAt <= now) return `the X.509-SVID expired at ${new Date(x.expiresAt).toISOString()}${why}`;
    if (x.expiresAt - now < (x.expiresAt - x.issuedAt) * X509_NOT_READY_SHARE) return `the X.509-SVID expires at ${new Date(x.expiresAt).toISOString()} and could not be renewed${why}`;
    return undefined;
  }
}
