// The policy in force: the last verified snapshot, as a SnapshotRuntime swapped in one reference
// (requests that read the old runtime finish on it). Every new snapshot is verified against the
// bundle's keys (an unknown key refreshes the bundle once), must be for this mesh's trust domain
// and not older than the one held; then it is built, swapped, persisted as last-known-good,
// announced to listeners and ACKed. A refused one is logged and NACKed, and the old one stays.
import { buildSnapshotRuntime } from '../../core/runtime/snapshot-runtime.ts';
import type { SnapshotRuntime } from '../../core/runtime/snapshot-runtime.ts';
import { replayProblem, verifySignedSnapshot } from '../../core/snapshot/verify.ts';
import type { VerifyResult } from '../../core/snapshot/verify.ts';
import type { LkgStore } from '../state/lkg-store.ts';
import { LKG_FILES } from '../state/lkg-store.ts';
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

  /** Starts from the stored snapshot if it verifies against the stored bundle; a bad file is refused and ignored. */
  async loadFromDisk(): Promise<void> {
    const jws = await this.#o.store.read(LKG_FILES.snapshot);
    if (jws === undefined) return;
    const file = this.#o.store.path(LKG_FILES.snapshot);
    const bundle = this.#o.bundle.current;
    if (!bundle) {
      this.#o.log({ level: 'warn', msg: 'stored snapshot ignored: no stored trust bundle to verify it with', file });
      return;
    }
    const verified = await verifySignedSnapshot(jws.trim(), bundle.jwks);
    const problem = this.#problem(verified);
    if (problem || !verified.ok) {
      const why = problem ?? (verified.ok ? undefined : { code: verified.code, message: verified.message });
      this.#o.log({ level: 'error', msg: 'stored snapshot refused; ignoring it', file, code: why?.code, reason: why?.message });
      return;
    }
    try {
      this.#runtime = buildSnapshotRuntime(verified.snapshot);
    } catch (e) {
      this.#o.log({ level: 'error', msg: 'stored snapshot cannot be applied; ignoring it', file, error: (e as Error).message });
      return;
    }
    this.#applied = { version: verified.snapshot.version, appliedAt: new Date().toISOString(), fromDisk: true };
    this.#seen = verified.snapshot.version;
    this.#o.log({ level: 'info', msg: 'snapshot loaded from disk (last known good)', version: verified.snapshot.version });
  }

  /** A snapshot JWS from control: apply it, or refuse it. False when it could not even be named (no version). */
  async consider(jws: string, headerVersion: string | null): Promise<boolean> {
    const bundle = this.#o.bundle.current ?? (await this.#o.bundle.refresh());
    let verified = await verifySignedSnapshot(jws, bundle.jwks);
    if (!verified.ok && verified.code === 'unknown_key') {
      try {
        verified = await verifySignedSnapshot(jws, (await this.#o.bundle.refresh()).jwks);
      } catch (e) {
        this.#o.log({ level: 'warn', msg: 'trust bundle refresh after an unknown key failed', error: (e as Error).message });
      }
    }
    const problem = this.#problem(verified);
    if (problem || !verified.ok) {
      const why = problem ?? (verified.ok ? { code: 'malformed', message: '' } : { code: verified.code, message: verified.message });
      const version = (verified.ok ? verified.snapshot.version : undefined) ?? (headerVersion && VERSION.test(headerVersion) ? headerVersion : claimedVersion(jws));
      return this.#reject(version, why.code, why.message);
    }
    const snapshot = verified.snapshot;
    if (snapshot.version === this.#applied?.version) {
      this.#seen = snapshot.version;
      return true;
    }
    const replay = replayProblem(snapshot, this.#runtime?.snapshot);
    if (replay) return this.#reject(snapshot.version, 'older_than_current', replay);
    let runtime: SnapshotRuntime;
    try {
      runtime = buildSnapshotRuntime(snapshot);
    } catch (e) {
      return this.#reject(snapshot.version, 'unusable', `the snapshot verified but cannot be applied: ${(e as Error).message}`);
    }
    const previous = this.#applied?.version ?? null;
    this.#runtime = runtime;
    this.#applied = { version: snapshot.version, appliedAt: new Date().toISOString(), fromDisk: false };
    this.#rejected = undefined;
    this.#seen = snapshot.version;
    await this.#o.store.write(LKG_FILES.snapshot, jws).catch((e: unknown) => this.#o.log({ level: 'warn', msg: 'cannot persist the snapshot', error: String(e) }));
    this.#o.log({ level: 'info', msg: 'snapshot applied', version: snapshot.version, previous });
    for (const listener of this.#listeners) {
      try {
        listener(runtime);
      } catch (e) {
        this.#o.log({ level: 'error', msg: 'onSnapshot listener threw', error: String(e) });
      }
    }
    this.#o.changed();
    return true;
  }

  /** Checks beyond the signature: the trust domain of this mesh. */
  #problem(verified: VerifyResult): { code: string; message: string } | undefined {
    if (!verified.ok) return undefined;
    const expected = this.#o.identity.trustDomain ?? this.#o.bundle.current?.trustDomain;
    const actual = verified.snapshot.body.mesh.trustDomain;
    if (expected && actual !== expected) return { code: 'wrong_trust_domain', message: `the snapshot is for trust domain "${actual}", this workload is in "${expected}"` };
    return undefined;
  }

  #reject(version: string | undefined, code: string, message: string): boolean {
    this.#o.log({ level: 'error', msg: 'snapshot refused; keeping the one in force', version: version ?? null, code, reason: message, inForce: this.#applied?.version ?? null });
    if (!version) return false;
    this.#rejected = { version, reason: code };
    this.#seen = version;
    this.#o.changed();
    return true;
  }
}
