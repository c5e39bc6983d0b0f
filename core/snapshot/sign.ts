// Signs a snapshot as a compact JWS over its canonical JSON. The protected header carries
// `kid` (which trust-bundle key) and `typ` (so a JWT-SVID can never pass as a snapshot).
import { CompactSign } from 'jose';
import { canonicalJson } from './canonical-json.ts';
import type { SigningKey } from '../keys/signing-key.ts';
import type { Snapshot } from './types.ts';

export const SNAPSHOT_JWS_TYPE = 'weft-snapshot+jws';

export async function signSnapshot(snapshot: Snapshot, key: SigningKey): Promise<string> {
  return new CompactSign(new TextEncoder().encode(canonicalJson(snapshot)))
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: SNAPSHOT_JWS_TYPE })
    .sign(key.privateKey);
}
