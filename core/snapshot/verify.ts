// Verifies a signed snapshot: the checks every signed Weft document gets (core/keys/typed-jws.ts:
// compact JWS, allowed algorithm, kid in the trust bundle, good signature, right typ), then a
// well-formed payload whose version really is the SHA-256 of its body.
import type { JSONWebKeySet } from 'jose';
import { verifyTypedJws } from '../keys/typed-jws.ts';
import type { JwsRejection } from '../keys/typed-jws.ts';
import { snapshotVersion } from './build.ts';
import { SNAPSHOT_JWS_TYPE } from './sign.ts';
import type { Snapshot, SnapshotBody } from './types.ts';

export type SnapshotRejection = JwsRejection | 'version_mismatch';

export type VerifyResult = { ok: true; snapshot: Snapshot; kid: string } | { ok: false; code: SnapshotRejection; message: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * What is wrong with the payload's envelope, if anything. Checked by hand, not with zod: this
 * runs in every data plane, and zod is the compiler's (a sidecar that loads it pays ~10 MB RSS).
 */
function envelopeProblem(p: unknown): string | undefined {
  if (!isObject(p)) return 'not an object';
  if (typeof p.version !== 'string' || !/^[0-9a-f]{64}$/.test(p.version)) return 'version: expected 64 lower-case hex characters';
  if (!isObject(p.metadata) || typeof p.metadata.createdAt !== 'string') return 'metadata.createdAt: expected a string';
  const body = p.body;
  if (!isObject(body)) return 'body: expected an object';
  if (body.apiVersion !== 'weft/v1') return 'body.apiVersion: expected "weft/v1"';
  if (!isObject(body.mesh)) return 'body.mesh: expected an object';
  for (const list of ['services', 'routes', 'authentications', 'accessPolicies', 'rateLimits'] as const)
    if (body[list] !== undefined && !Array.isArray(body[list])) return `body.${list}: expected an array`;
  if (!Array.isArray(body.services) || !Array.isArray(body.routes)) return 'body.services and body.routes: expected arrays';
  return undefined;
}

export async function verifySignedSnapshot(jws: string, trustBundle: JSONWebKeySet): Promise<VerifyResult> {
  const verified = await verifyTypedJws(jws, SNAPSHOT_JWS_TYPE, trustBundle, 'snapshot');
  if (!verified.ok) return verified;
  const problem = envelopeProblem(verified.payload);
  if (problem) return { ok: false, code: 'malformed', message: `snapshot payload is not a Weft snapshot: ${problem}` };
  const snapshot = verified.payload as Snapshot;
  const actual = await snapshotVersion(snapshot.body as SnapshotBody);
  if (actual !== snapshot.version)
    return { ok: false, code: 'version_mismatch', message: `snapshot says version ${snapshot.version.slice(0, 12)} but its body hashes to ${actual.slice(0, 12)}` };
  return { ok: true, snapshot, kid: verified.kid };
}

/**
 * Why `incoming` must not replace `held`, if it must not: a snapshot signed before the one in
 * force is a replay (an old signed copy put back), not a rollback, which control re-stamps.
 */
export function replayProblem(incoming: Snapshot, held: Snapshot | undefined): string | undefined {
  if (!held || Date.parse(incoming.metadata.createdAt) >= Date.parse(held.metadata.createdAt)) return undefined;
  return `signed at ${incoming.metadata.createdAt}, before the snapshot in force (${held.metadata.createdAt})`;
}
