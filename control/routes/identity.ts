// Identity authority (Citadel's role): join tokens made by admins, and SVIDs for workloads
// that prove who they are with a join token or a still-valid JWT-SVID (renewal). A workload
// may say which service it runs as; a credential for another one is refused unused.
import type { Hono } from 'hono';
import { formatSpiffeId, parseSpiffeId } from '../../core/identity/spiffe-id.ts';
import { parseDuration } from '../../core/policy/shared/duration.ts';
import { sha256Hex } from '../../core/snapshot/canonical-json.ts';
import { bearerToken, WWW_AUTHENTICATE } from '../auth/admin.ts';
import { authenticate } from '../auth/caller.ts';
import type { ControlEnv } from '../env.ts';
import { maxBodyBytes } from '../env.ts';
import { HttpError } from '../http/http-error.ts';
import { readJsonBody } from '../http/read-body.ts';
import { issueSvids, readSvidRequest } from '../identity/issue-svids.ts';
import { authority, CONTROL_NAMESPACE } from '../keys/authority.ts';
import { GATEWAY_NAMESPACE, GATEWAY_SERVICE } from '../gateway-rpc.ts';
import { currentMesh } from '../keys/mesh-settings.ts';
import { controlState } from '../state/control-state.ts';

type App = Hono<{ Bindings: ControlEnv }>;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const MAX_JOIN_TOKEN_TTL_MS = 24 * 3600 * 1000;
const JOIN_TOKEN_PREFIX = 'wjt_';

function randomToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return JOIN_TOKEN_PREFIX + btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

const REFUSED: Record<string, string> = {
  unknown: 'the join token is not valid',
  expired: 'the join token has expired; ask an admin for a new one',
  used: 'the join token was already used (join tokens are single-use)',
};

/** The workload the caller says it is (`service`, `namespace` default `default`), if it says. */
function claimedWorkload(body: Record<string, unknown>): { namespace: string; service: string } | undefined {
  if (body.service === undefined && body.namespace === undefined) return undefined;
  const { service, namespace = 'default' } = body;
  if (typeof service !== 'string' || !DNS_LABEL.test(service)) throw new HttpError('bad_request', 'service must be a DNS label (the service this workload runs as)');
  if (typeof namespace !== 'string' || !DNS_LABEL.test(namespace)) throw new HttpError('bad_request', 'namespace must be a DNS label');
  return { namespace, service };
}

/**
 * Refuses a credential that proves another workload than the one the caller says it is,
 * before anything is issued or a join token is used, so the token stays good for its own
 * service (a sidecar started with another service's token must not burn it).
 */
function requireClaimed(claimed: { namespace: string; service: string } | undefined, spiffeId: string, credential: 'join token' | 'SVID'): void {
  if (!claimed) return;
  const proven = parseSpiffeId(spiffeId);
  if (proven?.namespace === claimed.namespace && proven.service === claimed.service) return;
  const provenName = proven?.namespace && proven.service ? `${proven.namespace}/${proven.service}` : spiffeId;
  const wanted = `${claimed.namespace}/${claimed.service}`;
  const advice = credential === 'join token' ? `; the token was not used: start ${wanted} with a join token made for it` : '';
  throw new HttpError('wrong_service', `this ${credential} is for ${provenName} (${spiffeId}), not ${wanted}, the service this workload says it is${advice}`);
}

async function svidInputs(request: Request, env: ControlEnv) {
  const body = request.headers.get('content-length') === '0' || !request.body ? {} : await readJsonBody(request, maxBodyBytes(env));
  const mesh = await currentMesh(env);
  return {
    request: readSvidRequest(body),
    claimed: claimedWorkload(body),
    auth: await authority(env),
    ttl: { jwtMs: mesh.identity.jwtSvidTtlMs, x509Ms: mesh.identity.x509SvidTtlMs },
  };
}

export function registerIdentityRoutes(app: App): void {
  app.post('/v1/identity/join-tokens', async (c) => {
    await authenticate(c.req.raw, c.env, { admin: 'admin' });
    const body = await readJsonBody(c.req.raw, maxBodyBytes(c.env));
    const service = body.service;
    const namespace = body.namespace ?? 'default';
    if (typeof service !== 'string' || !DNS_LABEL.test(service)) throw new HttpError('bad_request', 'service must be a DNS label (the workload’s service name)');
    if (typeof namespace !== 'string' || !DNS_LABEL.test(namespace)) throw new HttpError('bad_request', 'namespace must be a DNS label');
    if (namespace === CONTROL_NAMESPACE || (namespace === GATEWAY_NAMESPACE && service === GATEWAY_SERVICE))
      throw new HttpError('reserved_identity', `${namespace}/${service} is reserved for Weft's own components; it cannot be joined with a token`);
    const ttlMs = body.ttl === undefined ? 15 * 60 * 1000 : typeof body.ttl === 'string' ? parseDuration(body.ttl) : undefined;
    if (ttlMs === undefined || ttlMs <= 0 || ttlMs > MAX_JOIN_TOKEN_TTL_MS) throw new HttpError('bad_request', 'ttl must be a duration such as 15m, at most 24h');
    const uses = body.uses ?? 1;
    if (typeof uses !== 'number' || !Number.isInteger(uses) || uses < 1 || uses > 1000) throw new HttpError('bad_request', 'uses must be a whole number from 1 to 1000');
    const auth = await authority(c.env);
    const spiffeId = formatSpiffeId(auth.trustDomain, namespace, service);
    const token = randomToken();
    const now = Date.now();
    await controlState(c.env).createJoinToken(await sha256Hex(token), { spiffeId, expiresAt: now + ttlMs, usesLeft: uses, createdAt: now });
    return c.json({ token, spiffeId, expiresAt: new Date(now + ttlMs).toISOString(), uses }, 201);
  });

  app.post('/v1/identity/svid', async (c) => {
    // Who first, then the body: an unauthenticated caller gets 401, never a body error.
    const token = bearerToken(c.req.raw);
    if (!token) throw new HttpError('unauthenticated', 'prove the workload identity: Authorization: Bearer <join token (wjt_…) or JWT-SVID>', undefined, WWW_AUTHENTICATE);
    if (token.startsWith(JOIN_TOKEN_PREFIX)) {
      const state = controlState(c.env);
      const hash = await sha256Hex(token);
      const checked = await state.checkJoinToken(hash);
      if (!checked.ok) throw new HttpError('invalid_join_token', REFUSED[checked.reason] as string, undefined, WWW_AUTHENTICATE);
      const { request, claimed, auth, ttl } = await svidInputs(c.req.raw, c.env);
      requireClaimed(claimed, checked.spiffeId, 'join token');
      // Issue first (a bad CSR must not burn the token), then use the token atomically.
      const issued = await issueSvids(auth, checked.spiffeId, request, ttl);
      const redeemed = await state.redeemJoinToken(hash);
      if (!redeemed.ok) throw new HttpError('invalid_join_token', REFUSED[redeemed.reason] as string, undefined, WWW_AUTHENTICATE);
      return c.json(issued);
    }

    if (!/^[\w-]+\.[\w-]+\.[\w-]+$/.test(token))
      throw new HttpError('unauthenticated', 'expected a join token (wjt_…) or a JWT-SVID for this control plane', undefined, WWW_AUTHENTICATE);
    const caller = await authenticate(c.req.raw, c.env, { workload: true });
    if (caller.kind !== 'workload') throw new HttpError('forbidden', 'SVIDs are issued to workloads');
    const { request, claimed, auth, ttl } = await svidInputs(c.req.raw, c.env);
    requireClaimed(claimed, caller.spiffeId, 'SVID');
    return c.json(await issueSvids(auth, caller.spiffeId, request, ttl));
  });
}
