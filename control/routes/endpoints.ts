// Endpoint registry: sidecars register their instance (only for their own service), renew it
// with heartbeats, deregister on shutdown; watchers get a signed endpoints document that
// changes without re-signing the policy snapshot (ETag / If-None-Match / long-poll).
import type { Hono } from 'hono';
import { signEndpointsDocument } from '../../core/endpoints/endpoints-document.ts';
import { authenticate } from '../auth/caller.ts';
import type { ControlEnv } from '../env.ts';
import { etag, versionFromHeader, waitSeconds } from '../http/conditional.ts';
import { HttpError } from '../http/http-error.ts';
import { readJsonBody } from '../http/read-body.ts';
import { authority } from '../keys/authority.ts';
import { controlState } from '../state/control-state.ts';
import type { EndpointRecord, EndpointsView } from '../state/endpoint-registry.ts';

type App = Hono<{ Bindings: ControlEnv }>;

const INSTANCE_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const ADDRESS = /^[A-Za-z0-9.:-]{1,253}$/;
const MAX_TTL_SECONDS = 300;

function readRegistration(body: Record<string, unknown>, serviceId: string, spiffeId: string, defaultTtl: number): EndpointRecord {
  const { instanceId, address, port, labels, ttlSeconds, service } = body;
  if (service !== undefined && service !== serviceId && service !== serviceId.split('/')[1])
    throw new HttpError('forbidden', `this identity (${spiffeId}) may register only its own service ${serviceId}, not ${String(service)}`);
  if (typeof instanceId !== 'string' || !INSTANCE_ID.test(instanceId)) throw new HttpError('bad_request', 'instanceId must be 1-128 characters of A-Z a-z 0-9 . _ : -');
  if (typeof address !== 'string' || !ADDRESS.test(address)) throw new HttpError('bad_request', 'address must be an IP address or host name');
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) throw new HttpError('bad_request', 'port must be 1-65535');
  if (labels !== undefined && (typeof labels !== 'object' || labels === null || Array.isArray(labels) || !Object.values(labels).every((v) => typeof v === 'string')))
    throw new HttpError('bad_request', 'labels must map strings to strings');
  const ttl = ttlSeconds === undefined ? Math.min(defaultTtl, MAX_TTL_SECONDS) : Number(ttlSeconds);
  if (!Number.isFinite(ttl) || ttl <= 0 || ttl > MAX_TTL_SECONDS) throw new HttpError('bad_request', `ttlSeconds must be in (0, ${MAX_TTL_SECONDS}]`);
  return { service: serviceId, instanceId, address, port, labels: (labels as Record<string, string> | undefined) ?? {}, spiffeId, expiresAt: Date.now() + ttl * 1000 };
}

/** The registry's current view as a signed endpoints document (HTTP and the gateway's RPC). */
export async function signEndpointsView(env: ControlEnv, view: EndpointsView): Promise<string> {
  const auth = await authority(env);
  return signEndpointsDocument({ version: view.version, generatedAt: new Date().toISOString(), endpoints: view.endpoints }, auth.keys.active);
}

async function signedView(env: ControlEnv, view: EndpointsView): Promise<Response> {
  const jws = await signEndpointsView(env, view);
  return new Response(jws, { headers: { 'content-type': 'application/jose', etag: etag(view.version), 'weft-endpoints-version': view.version, 'cache-control': 'no-store' } });
}

export function registerEndpointRoutes(app: App): void {
  app.post('/v1/endpoints', async (c) => {
    const caller = await authenticate(c.req.raw, c.env, { workload: true });
    if (caller.kind !== 'workload') throw new HttpError('forbidden', 'endpoints are registered by workloads');
    const serviceId = `${caller.namespace}/${caller.service}`;
    const record = readRegistration(await readJsonBody(c.req.raw, 64 * 1024), serviceId, caller.spiffeId, Number(c.env.ENDPOINT_TTL_SECONDS));
    const changed = await controlState(c.env).registerEndpoint(record);
    return c.json({ service: serviceId, instanceId: record.instanceId, expiresAt: new Date(record.expiresAt).toISOString(), changed });
  });

  app.delete('/v1/endpoints/:instanceId', async (c) => {
    const caller = await authenticate(c.req.raw, c.env, { workload: true });
    if (caller.kind !== 'workload') throw new HttpError('forbidden', 'endpoints are deregistered by workloads');
    const state = controlState(c.env);
    const serviceId = `${caller.namespace}/${caller.service}`;
    const existing = await state.getEndpoint(serviceId, c.req.param('instanceId'));
    if (!existing) throw new HttpError('unknown_instance', `no instance ${c.req.param('instanceId')} is registered for ${serviceId}`);
    await state.deregisterEndpoint(serviceId, existing.instanceId);
    return c.body(null, 204);
  });

  app.get('/v1/endpoints', async (c) => {
    await authenticate(c.req.raw, c.env, { admin: 'read', workload: true });
    const state = controlState(c.env);
    const known = versionFromHeader(c.req.header('if-none-match')) ?? null;
    const wait = waitSeconds(c.req.query('wait'));
    let view = await state.endpoints();
    if (view.version === known && wait > 0) view = (await state.waitForEndpoints(known, wait * 1000)) ?? view;
    if (view.version === known) return new Response(null, { status: 304, headers: { etag: etag(view.version), 'weft-endpoints-version': view.version } });
    return signedView(c.env, view);
  });
}
