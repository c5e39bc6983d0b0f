// Verifies a signed snapshot: a compact JWS, an allowed algorithm, a key from the trust
// bundle, a good signature, the right `typ`, a well-formed payload, and a version that is
// really the SHA-256 of the body. Anything else is refused with a code a data plane reports.
import { base64url, compactVerify, createLocalJWKSet, errors as joseErrors } from 'jose';
import type { JSONWebKeySet } from 'jose';
import { z } from 'zod';
import { snapshotVersion } from './build.ts';
import { SNAPSHOT_JWS_TYPE } from './sign.ts';
import { SIGNING_ALGORITHMS } from '../keys/signing-key.ts';
import type { Snapshot, SnapshotBody } from './types.ts';

export type SnapshotRejection =
  | 'not_signed'
  | 'algorithm_not_allowed'
  | 'unknown_key'
  | 'bad_signature'
  | 'wrong_type'
  | 'malformed'
  | 'version_mismatch';

export type VerifyResult = { ok: true; snapshot: Snapshot; kid: string } | { ok: false; code: SnapshotRejection; message: string };

const envelope = z.object({
  version: z.string().regex(/^[0-9a-f]{64}$/),
  metadata: z.object({ createdAt: z.string() }).loose(),
  body: z.object({ apiVersion: z.literal('weft/v1'), mesh: z.object({}).loose(), services: z.array(z.unknown()), routes: z.array(z.unknown()) }).loose(),
});

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/;

function protectedHeader(compact: string): { alg?: unknown; kid?: unknown } | undefined {
  try {
    const header: unknown = JSON.parse(new TextDecoder().decode(base64url.decode(compact.split('.')[0] as string)));
    return typeof header === 'object' && header !== null ? header : undefined;
  } catch {
    return undefined;
  }
}

function fail(code: SnapshotRejection, message: string): VerifyResult {
  return { ok: false, code, message };
}

export async function verifySignedSnapshot(jws: string, trustBundle: JSONWebKeySet): Promise<VerifyResult> {
  const text = jws.trim();
  if (!COMPACT_JWS.test(text)) return fail('not_signed', 'snapshot is not a compact JWS (unsigned snapshots are refused)');
  const header = protectedHeader(text);
  if (!header) return fail('malformed', 'snapshot JWS header is not JSON');
  if (!(SIGNING_ALGORITHMS as readonly unknown[]).includes(header.alg))
    return fail('algorithm_not_allowed', `snapshot signature algorithm ${JSON.stringify(header.alg ?? null)} is not allowed (accepted: ${SIGNING_ALGORITHMS.join(', ')})`);
  // A kid is required: without it a verifier would have to try keys, and key rotation could
  // not say which key signed what.
  if (typeof header.kid !== 'string' || header.kid === '') return fail('unknown_key', 'snapshot JWS header has no kid; Weft snapshots name their signing key');
  let result: Awaited<ReturnType<typeof compactVerify>>;
  try {
    result = await compactVerify(text, createLocalJWKSet(trustBundle), { algorithms: [...SIGNING_ALGORITHMS] });
  } catch (e) {
    if (e instanceof joseErrors.JOSEAlgNotAllowed || e instanceof joseErrors.JOSENotSupported)
      return fail('algorithm_not_allowed', `snapshot signature algorithm is not allowed (accepted: ${SIGNING_ALGORITHMS.join(', ')})`);
    if (e instanceof joseErrors.JWKSNoMatchingKey) return fail('unknown_key', 'snapshot is signed with a key that is not in the trust bundle');
    if (e instanceof joseErrors.JWSSignatureVerificationFailed) return fail('bad_signature', 'snapshot signature does not verify (tampered, or signed by another key)');
    if (e instanceof joseErrors.JWSInvalid) return fail('malformed', `snapshot JWS is malformed: ${e.message}`);
    return fail('malformed', `snapshot could not be verified: ${(e as Error).message}`);
  }
  if (result.protectedHeader.typ !== SNAPSHOT_JWS_TYPE) return fail('wrong_type', `JWS typ is ${JSON.stringify(result.protectedHeader.typ ?? null)}, expected "${SNAPSHOT_JWS_TYPE}"`);
  let payload: unknown;
  try {
    payload = JSON.parse(new TextDecoder().decode(result.payload));
  } catch {
    return fail('malformed', 'snapshot payload is not JSON');
  }
  const parsed = envelope.safeParse(payload);
  if (!parsed.success) return fail('malformed', `snapshot payload is not a Weft snapshot: ${parsed.error.issues[0]?.message ?? ''}`);
  const snapshot = payload as Snapshot;
  const actual = await snapshotVersion(snapshot.body as SnapshotBody);
  if (actual !== snapshot.version) return fail('version_mismatch', `snapshot says version ${snapshot.version.slice(0, 12)} but its body hashes to ${actual.slice(0, 12)}`);
  return { ok: true, snapshot, kid: result.protectedHeader.kid as string };
}
