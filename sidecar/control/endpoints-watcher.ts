// Registered endpoints of every service: the signed endpoints document from control, verified
// against the bundle (an unknown key refreshes the bundle once), swapped in one reference and
// persisted as last-known-good. A refused document is logged; the old one stays.
import { verifyEndpointsDocument } from '../../core/endpoints/endpoints-document.ts';
import type { EndpointsDocument } from '../../core/endpoints/endpoints-document.ts';
import { verifyWithBundleRefresh } from '../../core/snapshot/bundle-refresh.ts';
import type { LkgStore } from '../state/lkg-store.ts';
import { LKG_FILES } from '../state/lkg-store.ts';
import type { BundleHolder } from './bundle-holder.ts';
import type { Logger } from './options.ts';

export class EndpointsWatcher {
  #document: EndpointsDocument | undefined;
  #seen: string | undefined;
  readonly #o: { store: LkgStore; log: Logger; bundle: BundleHolder };

  constructor(options: { store: LkgStore; log: Logger; bundle: BundleHolder }) {
    this.#o = options;
  }

  get document(): EndpointsDocument | undefined {
    return this.#document;
  }

  get seen(): string | undefined {
    return this.#seen;
  }

  async loadFromDisk(): Promise<void> {
    const jws = await this.#o.store.read(LKG_FILES.endpoints);
    const bundle = this.#o.bundle.current;
    if (jws === undefined || !bundle) return;
    const verified = await verifyEndpointsDocument(jws.trim(), bundle.jwks);
    if (!verified.ok) {
      this.#o.log({ level: 'error', msg: 'stored endpoints document refused; ignoring it', file: this.#o.store.path(LKG_FILES.endpoints), code: verified.code, reason: verified.message });
      return;
    }
    this.#document = verified.document;
    this.#seen = verified.document.version;
  }

  async consider(jws: string, headerVersion: string | null): Promise<boolean> {
    const bundle = this.#o.bundle.current ?? (await this.#o.bundle.refresh());
    const verified = await verifyWithBundleRefresh((keys) => verifyEndpointsDocument(jws, keys), bundle.jwks, async () => (await this.#o.bundle.refresh()).jwks);
    // The key may be in the bundle control serves now: not a refusal, the watch tries again.
    if (!verified.ok && 'bundleRefreshFailed' in verified) throw new Error(verified.message);
    if (!verified.ok) {
      this.#o.log({ level: 'error', msg: 'endpoints document refused; keeping the one held', version: headerVersion, code: verified.code, reason: verified.message });
      if (!headerVersion) return false;
      this.#seen = headerVersion;
      return true;
    }
    this.#document = verified.document;
    this.#seen = verified.document.version;
    await this.#o.store.write(LKG_FILES.endpoints, jws).catch((e: unknown) => this.#o.log({ level: 'warn', msg: 'cannot persist the endpoints document', error: String(e) }));
    this.#o.log({ level: 'debug', msg: 'endpoints updated', version: verified.document.version, services: Object.keys(verified.document.endpoints).length });
    return true;
  }
}
