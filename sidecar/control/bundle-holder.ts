// The trust bundle (`GET /v1/bundle`): the keys that sign snapshots, endpoints documents and
// JWT-SVIDs, the CA certificates, and the gateway's edge-token keys (which change). Fetched at
// start, again every bundleRefreshMs and at once after an unknown key; persisted as LKG.
import type { TrustBundle } from '../types.ts';
import type { LkgStore } from '../state/lkg-store.ts';
import { LKG_FILES } from '../state/lkg-store.ts';
import { Backoff, sleep } from './backoff.ts';
import type { ControlLink } from './control-http.ts';
import type { Logger } from './options.ts';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function asBundle(v: unknown): TrustBundle | undefined {
  if (!isObject(v) || typeof v.trustDomain !== 'string' || typeof v.controlId !== 'string') return undefined;
  if (!isObject(v.jwks) || !Array.isArray(v.jwks.keys) || !Array.isArray(v.x509Authorities)) return undefined;
  const edge = isObject(v.edge) && typeof v.edge.issuer === 'string' && isObject(v.edge.jwks) && Array.isArray(v.edge.jwks.keys) ? v.edge : undefined;
  return { ...(v as unknown as TrustBundle), edge: (edge as TrustBundle['edge'] | undefined) ?? { issuer: '', jwks: { keys: [] } } };
}

export class BundleHolder {
  #bundle: TrustBundle | undefined;
  #inflight: Promise<TrustBundle> | undefined;
  readonly #link: ControlLink;
  readonly #store: LkgStore;
  readonly #log: Logger;
  readonly #onChange: ((bundle: TrustBundle) => void) | undefined;

  /** `onChange`: called with each bundle taken into use (from disk, from control, or new CAs from an SVID answer). */
  constructor(link: ControlLink, store: LkgStore, log: Logger, onChange?: (bundle: TrustBundle) => void) {
    this.#link = link;
    this.#store = store;
    this.#log = log;
    this.#onChange = onChange;
  }

  #use(bundle: TrustBundle): void {
    this.#bundle = bundle;
    try {
      this.#onChange?.(bundle);
    } catch (e) {
      this.#log({ level: 'warn', msg: 'trust bundle listener failed', error: String(e) });
    }
  }

  /**
   * The CA certificates of an SVID answer (control sends its bundle with every renewal): a CA
   * that joined or left is taken into use at once, without waiting for the next refresh.
   */
  async updateAuthorities(pems: string[]): Promise<void> {
    const b = this.#bundle;
    if (!b || JSON.stringify(b.x509Authorities) === JSON.stringify(pems)) return;
    const next = { ...b, x509Authorities: [...pems] };
    this.#use(next);
    await this.#store.write(LKG_FILES.bundle, JSON.stringify(next)).catch((e: unknown) => this.#log({ level: 'warn', msg: 'cannot persist the trust bundle', error: String(e) }));
  }

  get current(): TrustBundle | undefined {
    return this.#bundle;
  }

  async loadFromDisk(): Promise<boolean> {
    const text = await this.#store.read(LKG_FILES.bundle);
    if (text === undefined) return false;
    let parsed: TrustBundle | undefined;
    try {
      parsed = asBundle(JSON.parse(text));
    } catch {
      parsed = undefined;
    }
    if (!parsed) {
      this.#log({ level: 'warn', msg: 'stored trust bundle is unreadable; ignoring it', file: this.#store.path(LKG_FILES.bundle) });
      return false;
    }
    this.#use(parsed);
    return true;
  }

  /** Fetches the bundle now (concurrent callers share one call); persists it when it changed. */
  refresh(): Promise<TrustBundle> {
    this.#inflight ??= this.#fetch().finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  async #fetch(): Promise<TrustBundle> {
    const res = await this.#link.call('GET', '/v1/bundle');
    let parsed: TrustBundle | undefined;
    try {
      parsed = asBundle(JSON.parse(res.text));
    } catch {
      parsed = undefined;
    }
    if (!parsed) throw new Error('GET /v1/bundle: the answer is not a trust bundle');
    const text = JSON.stringify(parsed);
    if (text !== JSON.stringify(this.#bundle)) {
      this.#use(parsed);
      await this.#store.write(LKG_FILES.bundle, text).catch((e: unknown) => this.#log({ level: 'warn', msg: 'cannot persist the trust bundle', error: String(e) }));
    }
    return parsed;
  }

  /** Refreshes every `everyMs` until the client closes (after a failure: backoff, capped by everyMs). */
  async run(everyMs: number, backoff: { baseMs: number; maxMs: number }): Promise<void> {
    const retry = new Backoff({ baseMs: backoff.baseMs, maxMs: Math.min(backoff.maxMs, everyMs) });
    const signal = this.#link.signal;
    await sleep(everyMs, signal);
    while (!signal.aborted) {
      try {
        await this.refresh();
        retry.reset();
        await sleep(everyMs, signal);
      } catch (e) {
        if (signal.aborted) return;
        this.#log({ level: 'warn', msg: 'trust bundle refresh failed; keeping the one held', error: (e as Error).message });
        await sleep(retry.next(), signal);
      }
    }
  }
}
