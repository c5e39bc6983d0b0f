// Signs a snapshot as a compact JWS over its canonical JSON (core/keys/typed-jws.ts), typed
// `weft-snapshot+jws` so no other document signed by the same key passes as a snapshot.
import { signTypedJws } from '../keys/typed-jws.ts';
import type { SigningKey } from '../keys/signing-key.ts';
import type { Snapshot } from './types.ts';

export const SNAPSHOT_JWS_TYPE = 'weft-snapshot+jws';

export function signSnapshot(snapshot: Snapshot, key: SigningKey): Promise<string> {
  return signTypedJws(snapshot, SNAPSHOT_JWS_TYPE, key);
}
