// Reads the snapshot inside a JWS this control plane signed itself (no need to verify our own
// storage; data planes verify).
import { base64url } from 'jose';
import type { Snapshot } from '../../core/snapshot/types.ts';

export function snapshotFromJws(jws: string): Snapshot {
  return JSON.parse(new TextDecoder().decode(base64url.decode(jws.split('.')[1] as string))) as Snapshot;
}
