// Snapshot acceptance, one pipeline for every data plane: is this signed snapshot to replace
// the one in force? The adapter hands over what it holds (the trust bundle's keys, a way to
// refresh them, the mesh's trust domain, the runtime in force) and acts on the result: apply
// and ACK, refuse and NACK, or nothing. The stages, in order:
//
//   1. verify the JWS against the trust bundle; on `unknown_key` refresh the bundle once and
//      verify again (bundle-refresh.ts)
//   2. the version already in force: unchanged (same version, same body: nothing to check)
//   3. checks on what the snapshot says: its trust domain, then no replay of an older one
//   4. build the runtime (matchers, indexes); a snapshot that cannot be built is unusable
import type { JSONWebKeySet } from 'jose';
import { buildSnapshotRuntime } from '../runtime/snapshot-runtime.ts';
import type { SnapshotRuntime } from '../runtime/snapshot-runtime.ts';
import { verifyWithBundleRefresh } from './bundle-refresh.ts';
import type { Snapshot } from './types.ts';
import { replayProblem, verifySignedSnapshot } from './verify.ts';
import type { SnapshotRejection } from './verify.ts';

/** Every reason a data plane refuses a snapshot: the codes its NACK and its logs carry. */
export type SnapshotRefusalCode = SnapshotRejection | 'wrong_trust_domain' | 'older_than_current' | 'unusable';

export interface SnapshotRefusal {
  /** The snapshot's version, once its signature verified; before that the adapter names it. */
  version?: string;
  code: SnapshotRefusalCode;
  message: string;
  /**
   * The key is unknown and the trust bundle could not be refreshed: not a verdict on the
   * snapshot. Do not remember the version as refused; look at it again later.
   */
  retryable?: true;
}

export type AcceptResult = { applied: SnapshotRuntime; snapshot: Snapshot } | { refused: SnapshotRefusal } | { unchanged: string };

/** What the adapter holds; plain values and one function. */
export interface AcceptancePieces {
  /** The trust bundle's keys as held now. */
  bundle: JSONWebKeySet;
  /** Fetches the trust bundle anew (may throw). Absent when there is nothing to ask. */
  refreshBundle?: () => Promise<JSONWebKeySet>;
  /**
   * The mesh's trust domain: a snapshot must be for it. Undefined only when the adapter
   * cannot know it (a control plane too old to say); the check is then skipped.
   */
  trustDomain: string | undefined;
  /** The runtime in force, if any. */
  current: SnapshotRuntime | undefined;
}

type Check = (snapshot: Snapshot, pieces: AcceptancePieces) => Omit<SnapshotRefusal, 'version'> | undefined;

/** Signed by this mesh's control plane is not enough: the snapshot must be for this mesh. */
const trustDomainCheck: Check = (snapshot, { trustDomain }) => {
  const named = snapshot.body.mesh.trustDomain;
  if (trustDomain === undefined || named === trustDomain) return undefined;
  return { code: 'wrong_trust_domain', message: `the snapshot is for trust domain "${named}", this data plane is in "${trustDomain}"` };
};

/** Never back in time: an older signed copy put back is a replay; control re-stamps rollbacks. */
const replayCheck: Check = (snapshot, { current }) => {
  const problem = replayProblem(snapshot, current?.snapshot);
  return problem === undefined ? undefined : { code: 'older_than_current', message: problem };
};

const CHECKS: readonly Check[] = [trustDomainCheck, replayCheck];

function buildRuntime(snapshot: Snapshot): AcceptResult {
  try {
    return { applied: buildSnapshotRuntime(snapshot), snapshot };
  } catch (e) {
    return { refused: { version: snapshot.version, code: 'unusable', message: `the snapshot verified but cannot be applied: ${(e as Error).message}` } };
  }
}

export async function acceptSnapshot(jws: string, pieces: AcceptancePieces): Promise<AcceptResult> {
  const verified = await verifyWithBundleRefresh((keys) => verifySignedSnapshot(jws, keys), pieces.bundle, pieces.refreshBundle);
  if (!verified.ok) return { refused: { code: verified.code, message: verified.message, ...('bundleRefreshFailed' in verified ? { retryable: true } : {}) } };
  const snapshot = verified.snapshot;
  if (snapshot.version === pieces.current?.version) return { unchanged: snapshot.version };
  for (const check of CHECKS) {
    const problem = check(snapshot, pieces);
    if (problem) return { refused: { version: snapshot.version, ...problem } };
  }
  return buildRuntime(snapshot);
}
