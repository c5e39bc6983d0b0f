// Wraps a compiled body into a Snapshot: version = SHA-256 of the canonical body.
import { canonicalJson, sha256Hex } from './canonical-json.ts';
import type { Snapshot, SnapshotBody, SnapshotMetadata } from './types.ts';

export function snapshotVersion(body: SnapshotBody): Promise<string> {
  return sha256Hex(canonicalJson(body));
}

export async function buildSnapshot(body: SnapshotBody, metadata: Partial<SnapshotMetadata> = {}): Promise<Snapshot> {
  return { version: await snapshotVersion(body), metadata: { createdAt: metadata.createdAt ?? new Date().toISOString(), ...metadata }, body };
}
