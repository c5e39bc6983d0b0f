// Who is calling: an admin (bearer token, by role) or a workload (a JWT-SVID whose audience
// is this control plane). Each route says which callers it accepts.
import { verifyJwtSvid } from '../../core/identity/jwt-svid.ts';
import { parseSpiffeId } from '../../core/identity/spiffe-id.ts';
import type { ControlEnv } from '../env.ts';
import { HttpError } from '../http/http-error.ts';
import { authority } from '../keys/authority.ts';
import { adminRole, bearerToken, WWW_AUTHENTICATE } from './admin.ts';
import type { AdminRole } from './admin.ts';

export type Caller =
  | { kind: 'admin'; role: AdminRole }
  | { kind: 'workload'; spiffeId: string; namespace: string; service: string; expiresAt: number };

export interface Accept {
  admin?: AdminRole;
  workload?: boolean;
}

const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

export async function authenticate(request: Request, env: ControlEnv, accept: Accept): Promise<Caller> {
  const token = bearerToken(request);
  const wants = [accept.admin ? 'an admin token' : '', accept.workload ? 'a JWT-SVID for this control plane' : ''].filter(Boolean).join(' or ');
  if (!token) throw new HttpError('unauthenticated', `this call needs ${wants}: Authorization: Bearer <token>`, undefined, WWW_AUTHENTICATE);

  if (JWT.test(token)) {
    if (!accept.workload) throw new HttpError('forbidden', 'workload identities may not make this call; it needs an admin token');
    const auth = await authority(env);
    const result = await verifyJwtSvid(token, { trustBundle: { keys: auth.keys.publicJwks }, audience: auth.controlId, trustDomain: auth.trustDomain });
    if (!result.ok) throw new HttpError('unauthenticated', `JWT-SVID refused (${result.code}): ${result.message}`, undefined, WWW_AUTHENTICATE);
    const id = parseSpiffeId(result.spiffeId);
    if (!id?.namespace || !id.service) throw new HttpError('forbidden', `${result.spiffeId} is not a workload identity (/ns/<namespace>/sa/<service>)`);
    return { kind: 'workload', spiffeId: result.spiffeId, namespace: id.namespace, service: id.service, expiresAt: result.expiresAt };
  }

  const role = await adminRole(token, env.ADMIN_TOKENS);
  if (!role) throw new HttpError('unauthenticated', 'the token is not a valid admin token', undefined, WWW_AUTHENTICATE);
  if (!accept.admin) throw new HttpError('forbidden', 'this call is for workloads (JWT-SVID), not admin tokens');
  if (accept.admin === 'admin' && role !== 'admin') throw new HttpError('forbidden', 'this token has the read role; the call needs admin');
  return { kind: 'admin', role };
}
