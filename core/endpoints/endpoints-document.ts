// The endpoints document: live service instances registered by sidecars, signed by control
// separately from the policy snapshot (membership changes often; policy does not).
import type { JSONWebKeySet } from 'jose';
import { signTypedJws, verifyTypedJws } from '../keys/typed-jws.ts';
import type { JwsRejection } from '../keys/typed-jws.ts';
import type { SigningKey } from '../keys/signing-key.ts';

export const ENDPOINTS_JWS_TYPE = 'weft-endpoints+jws';

export interface EndpointsDocument {
  /** SHA-256 of the canonical `endpoints`. */
  version: string;
  generatedAt: string;
  /** Service id (`namespace/name`) → its live instances. */
  endpoints: Record<string, { instanceId: string; address: string; port: number; labels: Record<string, string> }[]>;
}

export function signEndpointsDocument(doc: EndpointsDocument, key: SigningKey): Promise<string> {
  return signTypedJws(doc, ENDPOINTS_JWS_TYPE, key);
}

export async function verifyEndpointsDocument(
  jws: string,
  trustBundle: JSONWebKeySet,
): Promise<{ ok: true; document: EndpointsDocument } | { ok: false; code: JwsRejection; message: string }> {
  const verified = await verifyTypedJws(jws, ENDPOINTS_JWS_TYPE, trustBundle, 'endpoints document');
  if (!verified.ok) return verified;
  const doc = verified.payload as Partial<EndpointsDocument>;
  if (typeof doc.version !== 'string' || typeof doc.endpoints !== 'object' || doc.endpoints === null)
    return { ok: false, code: 'malformed', message: 'endpoints document payload has no version or endpoints' };
  return { ok: true, document: doc as EndpointsDocument };
}
