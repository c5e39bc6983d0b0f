// The policy in force: the last verified snapshot, as a SnapshotRuntime swapped in one reference
// (requests that read the old runtime finish on it). Every snapshot, from control or from disk,
// goes through snapshot acceptance (core/snapshot/accept.ts, the gateway's too); this file acts
// on the result. Applied: swapped, persisted as last-known-good, announced to listeners, ACKed.
// Refused: logged and NACKed, and the old one stays. Not decidable yet (the bundle could not
// be refreshed for an unknown key): the watch asks again.
import { acceptSnapshot } from '../../core/snapshot/accept.ts';
import type { SnapshotRefusalCode } from '../../core/snapshot/accept.ts';
import type { SnapshotRuntime } from '../../core/runtime/snapshot-runtime.ts';
import type { LkgStore } from '../state/lkg-store.ts';
import { LKG_FILES } from '../state/lkg-store.ts';
import type { TrustBundle } from '../types.ts';
import type { BundleHolder } from './bundle-holder.ts';
import type { IdentityManager } from './identity-manager.ts';
import type { Logger } from './options.ts';

const VERSION = /^[0-9a-f]{64}$/;

/** The version a JWS claims in its payload, read without trusting it (for the NACK). */
function claimedVersion(jws: string): string | undefined {
  try {
    const payload = JSON.parse(Buffer.from(jws.split('.')[1] ?? '', 'base64url').toString('utf8')) as { version?: unknown };
    return typeof payload.version === 'string' && VERSION.test(payload.version) ? payload.version : undefined;
  } catch {
    return undefined;
  }
}

export interface AppliedSnapshot {
  version: string;
  appliedAt: string;
  fromDisk: boolean;
}

export class SnapshotWatcher {
  #runtime: SnapshotRuntime | undefined;
  #applied: AppliedSnapshot | undefined;
  #rejected: { version: string; reason: string } | undefined;
  #seen: string | undefined;
  readonly #listeners: ((runtime: SnapshotRuntime) => void)[] = [];
  readonly #o: { store: LkgStore; log: Logger; bundle: BundleHolder; identity: IdentityManager; changed: () => void };

  constructor(options: { store: LkgStore; log: Logger; bundle: BundleHolder; identity: IdentityManager; changed: () => void }) {
    this.#o = options;
  }

  get runtime(): SnapshotRuntime | undefined {
    return this.#runtime;
  }

  get applied(): AppliedSnapshot | undefined {
    return this.#applied;
  }

  get rejected(): { version: string; reason: string } | undefined {
    return this.#rejected;
  }

  /** What to name in If-None-Match: the newest version seen, applied or refused. */
  get seen(): string | undefined {
    return this.#seen;
  }

  onSnapshot(listener: (runtime: SnapshotRuntime) => void): void {
    this.#listeners.push(listener);
  }

  /** Starts from the stored snapshot if it is accepted with the stored bundle; a bad file is refused and ignored. */
  async loadFromDisk(): Promise<void> {
    const jws = await this.#o.store.read(LKG_FILES.snapshot);
    if (jws === undefined) return;
    const file = this.#o.store.path(LKG_FILES.snapshot);
    const bundle = this.#o.bundle.current;
    if (!bundle) {
      this.#o.log({ level: 'warn', msg: 'stored snapshot ignored: no stored trust bundle to verify it with', file });
      return;
    }
    // No refreshBundle: at start the stored bundle is what the stored snapshot was accepted with.
    const result = await acceptSnapshot(jws.trim(), { bundle: bundle.jwks, trustDomain: this.#trustDomain(bundle), current: this.#runtime });
    if ('refused' in result) {
      this.#o.log({ level: 'error', msg: 'stored snapshot refused; ignoring it', file, code: result.refused.code, reason: result.refused.message });
      return;
    }
    if ('unchanged' in result) return;
    this.#runtime = result.applied;
    this.#applied = { version: result.applied.version, appliedAt: new Date().toISOString(), fromDisk: true };
    this.#seen = result.applied.version;
    this.#o.log({ level: 'info', msg: 'snapshot loaded from disk (last known good)', version: result.applied.version });
  }

  /**
   * A snapshot JWS from control: apply it, or refuse it. False when it could not even be named
   * (no version); throws when it cannot be decided now (the watch backs off and asks again).
   */
  async consider(jws: string, headerVersion: string | null): Promise<boolean> {
    const bundle = this.#o.bundle.current ?? (await this.#o.bundle.refresh());
    const result = await acceptSnapshot(jws, {
      bundle: bundle.jwks,
      refreshBundle: async () => (await this.#o.bundle.refresh()).jwks,
      trustDomain: this.#trustDomain(bundle),
      current: this.#runtime,
    });
    if ('applied' in result) {
      await this.#apply(result.applied, jws);
      return true;
    }
    if ('unchanged' in result) {
      this.#seen = result.unchanged;
      return true;
    }
    const { refused } = result;
    const version = refused.version ?? (headerVersion && VERSION.test(headerVersion) ? headerVersion : claimedVersion(jws));
    // Not a verdict: naming the version as seen would stop the watch from fetching it again.
    if (refused.retryable) throw new Error(`snapshot ${version ?? '(unnamed)'} not checked yet (${refused.code}): ${refused.message}`);
    return this.#reject(version, refused.code, refused.message);
  }

  /** The trust domain a snapshot must be for: this workload's, or before it has one, the bundle's. */
  #trustDomain(bundle: TrustBundle): string {
    return this.#o.identity.trustDomain ?? bundle.trustDomain;
  }

  async #apply(runtime: SnapshotRuntime, jws: string): Promise<void> {
    const previous = this.#applied?.version ?? null;
    this.#runtime = runtime;
    this.#applied = { version: runtime.version, appliedAt: new Date().toISOString(), fromDisk: false };
    this.#rejected = undefined;
    this.#seen = runtime.version;
    this.#o.log({ level: 'info', msg: 'snapshot applied', version: runtime.version, previous });
    // Listeners hear of it in the same turn as runtime() changes, not after the disk write.
    for (const listener of this.#listeners) {
      try {
        listener(runtime);
      } catch (e) {
        this.#o.log({ level: 'error', msg: 'onSnapshot listener threw', error: String(e) });
      }
    }
    await this.#o.store.write(LKG_FILES.snapshot, jws).catch((e: unknown) => this.#o.log({ level: 'warn', msg: 'cannot persist the snapshot', error: String(e) }));
    this.#o.changed();
  }

  #reject(version: string | undefined, code: SnapshotRefusalCode, message: string): boolean {
    this.#o.log({ level: 'error', msg: 'snapshot refused; keeping the one in force', version: version ?? null, code, reason: message, inForce: this.#applied?.version ?? null });
    if (!version) return false;
    this.#rejected = { version, reason: `${code}: ${message}` }; // as the gateway reports it: the code, then why
    this.#seen = version;
    this.#o.changed();
    return true;
  }
}
