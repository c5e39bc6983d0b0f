// Verifies a signed snapshot: the checks every signed Weft document gets (core/keys/typed-jws.ts:
// compact JWS, allowed algorithm, kid in the trust bundle, good signature, right typ), then a
// well-formed payload whose version really is the SHA-256 of its body.
import type { JSONWebKeySet } from 'jose';
import { z } from 'zod';
import { verifyTypedJws } from '../keys/typed-jws.ts';
import type { JwsRejection } from '../keys/typed-jws.ts';
import { snapshotVersion } from './build.ts';
import { SNAPSHOT_JWS_TYPE } from './sign.ts';
import type { Snapshot, SnapshotBody } from './types.ts';

export type SnapshotRejection = JwsRejection | 'version_mismatch';

export type VerifyResult = { ok: true; snapshot: Snapshot; kid: string } | { ok: false; code: SnapshotRejection; message: string };

const envelope = z.object({
  version: z.string().regex(/^[0-9a-f]{64}$/),
  metadata: z.object({ createdAt: z.string() }).loose(),
  body: z.object({ apiVersion: z.literal('weft/v1'), mesh: z.object({}).loose(), services: z.array(z.unknown()), routes: z.array(z.unknown()) }).loose(),
});

export async function verifySignedSnapshot(jws: string, trustBundle: JSONWebKeySet): Promise<VerifyResult> {
  const verified = await verifyTypedJws(jws, SNAPSHOT_JWS_TYPE, trustBundle, 'snapshot');
  if (!verified.ok) return verified;
  const parsed = envelope.safeParse(verified.payload);
  if (!parsed.success) return { ok: false, code: 'malformed', message: `snapshot payload is not a Weft snapshot: ${parsed.error.issues[0]?.message ?? ''}` };
  const snapshot = verified.payload as Snapshot;
  const actual = await snapshotVersion(snapshot.body as SnapshotBody);
  if (actual !== snapshot.version)
    return { ok: false, code: 'version_mismatch', message: `snapshot says version ${snapshot.version.slice(0, 12)} but its body hashes to ${actual.slice(0, 12)}` };
  return { ok: true, snapshot, kid: verified.kid };
}
