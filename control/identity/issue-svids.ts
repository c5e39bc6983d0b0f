// Issues what a workload proved it may have: a JWT-SVID for talking to control (renewal,
// status, endpoints), JWT-SVIDs for the audiences it asked for, and an X.509-SVID from its
// CSR (the private key never leaves the workload). TTLs come from the Mesh.
import type { JWK } from 'jose';
import { mintJwtSvid } from '../../core/identity/jwt-svid.ts';
import { issueX509Svid } from '../../core/identity/x509-svid.ts';
import { HttpError } from '../http/http-error.ts';
import type { Authority } from '../keys/authority.ts';

export interface SvidRequest {
  audiences: string[];
  csr?: string;
}

export interface SvidResponse {
  spiffeId: string;
  controlToken: { token: string; expiresAt: string };
  jwtSvids: { audience: string; token: string; expiresAt: string }[];
  x509Svid?: { certificatePem: string; expiresAt: string; serialNumber: string };
  bundle: { trustDomain: string; jwks: { keys: JWK[] }; x509Authorities: string[] };
}

export function readSvidRequest(body: Record<string, unknown>): SvidRequest {
  const audiences = body.audiences ?? [];
  if (!Array.isArray(audiences) || audiences.length > 10 || !audiences.every((a) => typeof a === 'string' && a.length > 0 && a.length <= 512))
    throw new HttpError('bad_request', 'audiences must be a list of at most 10 non-empty strings');
  if (body.csr !== undefined && typeof body.csr !== 'string') throw new HttpError('bad_request', 'csr must be a PEM string');
  return { audiences: [...new Set(audiences as string[])], ...(body.csr ? { csr: body.csr as string } : {}) };
}

export async function issueSvids(auth: Authority, spiffeId: string, request: SvidRequest, ttl: { jwtMs: number; x509Ms: number }): Promise<SvidResponse> {
  const iso = (ms: number) => new Date(ms).toISOString();
  let x509Svid: SvidResponse['x509Svid'];
  if (request.csr) {
    const issued = await issueX509Svid(auth.ca, { csrPem: request.csr, spiffeId, ttlMs: ttl.x509Ms });
    if (!issued.ok) throw new HttpError(issued.code, issued.message);
    x509Svid = { certificatePem: issued.certificatePem, expiresAt: iso(issued.expiresAt), serialNumber: issued.serialNumber };
  }
  const control = await mintJwtSvid({ spiffeId, audience: [auth.controlId], ttlMs: ttl.jwtMs, key: auth.keys.active });
  const jwtSvids = await Promise.all(
    request.audiences.map(async (audience) => {
      const t = await mintJwtSvid({ spiffeId, audience: [audience], ttlMs: ttl.jwtMs, key: auth.keys.active });
      return { audience, token: t.token, expiresAt: iso(t.expiresAt) };
    }),
  );
  return {
    spiffeId,
    controlToken: { token: control.token, expiresAt: iso(control.expiresAt) },
    jwtSvids,
    ...(x509Svid ? { x509Svid } : {}),
    bundle: { trustDomain: auth.trustDomain, jwks: { keys: auth.keys.publicJwks }, x509Authorities: auth.caBundle },
  };
}
