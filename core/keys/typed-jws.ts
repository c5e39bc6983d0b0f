// Signed documents of the control plane (snapshots, endpoints): a compact JWS over canonical
// JSON, `alg` ES256/EdDSA, a `kid` from the trust bundle, and a `typ` naming the document kind
// so one kind can never be replayed as another. One signer and one verifier for all kinds.
import { base64url, CompactSign, compactVerify, createLocalJWKSet, errors as joseErrors } from 'jose';
import type { JSONWebKeySet } from 'jose';
import { canonicalJson } from '../snapshot/canonical-json.ts';
import { SIGNING_ALGORITHMS } from './signing-key.ts';
import type { SigningKey } from './signing-key.ts';

export type JwsRejection = 'not_signed' | 'algorithm_not_allowed' | 'unknown_key' | 'bad_signature' | 'wrong_type' | 'malformed';

export type TypedJwsResult = { ok: true; payload: unknown; kid: string } | { ok: false; code: JwsRejection; message: string };

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/;

export function signTypedJws(value: unknown, typ: string, key: SigningKey): Promise<string> {
  return new CompactSign(new TextEncoder().encode(canonicalJson(value))).setProtectedHeader({ alg: key.alg, kid: key.kid, typ }).sign(key.privateKey);
}

function protectedHeader(compact: string): { alg?: unknown; kid?: unknown } | undefined {
  try {
    const header: unknown = JSON.parse(new TextDecoder().decode(base64url.decode(compact.split('.')[0] as string)));
    return typeof header === 'object' && header !== null ? header : undefined;
  } catch {
    return undefined;
  }
}

/** `what` names the document in messages ("snapshot", "endpoints document"). */
export async function verifyTypedJws(jws: string, typ: string, trustBundle: JSONWebKeySet, what: string): Promise<TypedJwsResult> {
  const fail = (code: JwsRejection, message: string): TypedJwsResult => ({ ok: false, code, message });
  const text = jws.trim();
  if (!COMPACT_JWS.test(text)) return fail('not_signed', `${what} is not a compact JWS (unsigned documents are refused)`);
  const header = protectedHeader(text);
  if (!header) return fail('malformed', `${what} JWS header is not JSON`);
  if (!(SIGNING_ALGORITHMS as readonly unknown[]).includes(header.alg))
    return fail('algorithm_not_allowed', `${what} signature algorithm ${JSON.stringify(header.alg ?? null)} is not allowed (accepted: ${SIGNING_ALGORITHMS.join(', ')})`);
  // A kid is required: without it a verifier would have to try keys, and key rotation could
  // not say which key signed what.
  if (typeof header.kid !== 'string' || header.kid === '') return fail('unknown_key', `${what} JWS header has no kid; Weft documents name their signing key`);
  let result: Awaited<ReturnType<typeof compactVerify>>;
  try {
    result = await compactVerify(text, createLocalJWKSet(trustBundle), { algorithms: [...SIGNING_ALGORITHMS] });
  } catch (e) {
    if (e instanceof joseErrors.JOSEAlgNotAllowed || e instanceof joseErrors.JOSENotSupported)
      return fail('algorithm_not_allowed', `${what} signature algorithm is not allowed (accepted: ${SIGNING_ALGORITHMS.join(', ')})`);
    if (e instanceof joseErrors.JWKSNoMatchingKey) return fail('unknown_key', `${what} is signed with a key that is not in the trust bundle`);
    if (e instanceof joseErrors.JWSSignatureVerificationFailed) return fail('bad_signature', `${what} signature does not verify (tampered, or signed by another key)`);
    if (e instanceof joseErrors.JWSInvalid) return fail('malformed', `${what} JWS is malformed: ${e.message}`);
    return fail('malformed', `${what} could not be verified: ${(e as Error).message}`);
  }
  if (result.protectedHeader.typ !== typ) return fail('wrong_type', `JWS typ is ${JSON.stringify(result.protectedHeader.typ ?? null)}, expected "${typ}"`);
  try {
    return { ok: true, payload: JSON.parse(new TextDecoder().decode(result.payload)), kid: result.protectedHeader.kid as string };
  } catch {
    return fail('malformed', `${what} payload is not JSON`);
  }
}
