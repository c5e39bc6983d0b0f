// Proof of apply and the endpoint registry in workerd: ACK/NACK per node, convergence per
// version, stale nodes; endpoints registered with a TTL, renewed by heartbeats, expiring, a
// signed document with long-poll; a sidecar may register only its own service.
import { env, reset, SELF } from 'cloudflare:test';
import { beforeEach, describe, expect, it } from 'vitest';
import { ControlRpc } from '../../control/gateway-rpc.ts';
import type { ControlEnv } from '../../control/env.ts';
import { verifyEndpointsDocument } from '../../core/endpoints/endpoints-document.ts';
import { verifyJwtSvid } from '../../core/identity/jwt-svid.ts';
import { auth, BASE, joinAs, policyFiles, post, pushOk, READER } from './support.ts';

beforeEach(async () => {
  await reset();
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function status() {
  return (await (await SELF.fetch(`${BASE}/v1/status`, { headers: auth(READER) })).json()) as {
    current: string;
    nodes: { nodeId: string; service: string; appliedVersion: string | null; rejected: { reason: string } | null; stale: boolean; converged: boolean; lastKnownGood: boolean }[];
  };
}

async function convergence(version: string) {
  return (await (await SELF.fetch(`${BASE}/v1/snapshot/${version}/convergence`, { headers: auth(READER) })).json()) as {
    acked: { nodeId: string }[];
    nacked: { nodeId: string; reason: string }[];
    pending: { nodeId: string }[];
    converged: boolean;
    liveNodes: number;
  };
}

describe('status and convergence', () => {
  it('shows ACKs and NACKs per node and whether a version converged', async () => {
    const v1 = await pushOk(policyFiles(90));
    const reviews = await joinAs('reviews');
    const ratings = await joinAs('ratings');
    expect((await post('/v1/status', { nodeId: 'reviews-1', kind: 'sidecar', appliedVersion: v1 }, bearer(reviews.controlToken.token))).status).toBe(204);
    expect((await post('/v1/status', { nodeId: 'ratings-1', kind: 'sidecar', appliedVersion: null }, bearer(ratings.controlToken.token))).status).toBe(204);
    let c = await convergence(v1);
    expect(c).toMatchObject({ converged: false, liveNodes: 2, acked: [{ nodeId: 'reviews-1' }], pending: [{ nodeId: 'ratings-1' }] });

    await post('/v1/status', { nodeId: 'ratings-1', kind: 'sidecar', appliedVersion: null, rejected: { version: v1, reason: 'bad_signature' }, lastKnownGood: true }, bearer(ratings.controlToken.token));
    c = await convergence(v1);
    expect(c.nacked).toEqual([{ nodeId: 'ratings-1', kind: 'sidecar', service: 'default/ratings', reason: 'bad_signature' }]);
    expect(c.converged).toBe(false);

    await post('/v1/status', { nodeId: 'ratings-1', kind: 'sidecar', appliedVersion: v1 }, bearer(ratings.controlToken.token));
    expect(await convergence(v1)).toMatchObject({ converged: true, nacked: [], pending: [] });
    // reviews-1 reports again (as its periodic report would): staleness is 2 s in the test
    // config, and a slow machine can take that long to get here since its first report.
    await post('/v1/status', { nodeId: 'reviews-1', kind: 'sidecar', appliedVersion: v1 }, bearer(reviews.controlToken.token));
    const s = await status();
    expect(s.current).toBe(v1);
    expect(s.nodes.map((n) => [n.nodeId, n.service, n.converged, n.stale])).toEqual([
      ['ratings-1', 'default/ratings', true, false],
      ['reviews-1', 'default/reviews', true, false],
    ]);
  });

  it('marks nodes that stop reporting as stale and leaves them out of convergence', async () => {
    const v1 = await pushOk(policyFiles(90));
    const reviews = await joinAs('reviews');
    await post('/v1/status', { nodeId: 'reviews-1', kind: 'sidecar', appliedVersion: null }, bearer(reviews.controlToken.token));
    await sleep(2100); // STATUS_STALE_AFTER_SECONDS is 2 in the test config
    expect((await status()).nodes[0]?.stale).toBe(true);
    expect(await convergence(v1)).toMatchObject({ liveNodes: 0, pending: [], converged: false });
  });

  it('convergence of a version that was never stored is 404', async () => {
    const res = await SELF.fetch(`${BASE}/v1/snapshot/${'a'.repeat(64)}/convergence`, { headers: auth(READER) });
    expect(res.status).toBe(404);
  });

  it('a workload cannot report for another identity; bad reports are 400; admins cannot report', async () => {
    const reviews = await joinAs('reviews');
    const r = await post('/v1/status', { nodeId: 'x', kind: 'sidecar', spiffeId: 'spiffe://weft.local/ns/default/sa/ratings' }, bearer(reviews.controlToken.token));
    expect(r.status).toBe(204);
    expect((await status()).nodes[0]?.service).toBe('default/reviews');
    expect((await post('/v1/status', { nodeId: 'x', kind: 'pod' }, bearer(reviews.controlToken.token))).status).toBe(400);
    expect((await post('/v1/status', { nodeId: 'x', kind: 'sidecar', appliedVersion: 'v1' }, bearer(reviews.controlToken.token))).status).toBe(400);
    expect((await post('/v1/status', { nodeId: 'x', kind: 'sidecar' })).status).toBe(403);
    expect((await post('/v1/status', { nodeId: 'x', kind: 'sidecar' }, {})).status).toBe(401);
  });
});

async function endpointsDoc(token: string, headers: Record<string, string> = {}, query = '') {
  const res = await SELF.fetch(`${BASE}/v1/endpoints${query}`, { headers: { ...bearer(token), ...headers } });
  const jwks = (await (await SELF.fetch(`${BASE}/.well-known/jwks.json`)).json()) as { keys: [] };
  if (res.status !== 200) return { status: res.status, etag: res.headers.get('etag'), doc: undefined };
  const verified = await verifyEndpointsDocument(await res.text(), jwks);
  if (!verified.ok) throw new Error(verified.message);
  return { status: res.status, etag: res.headers.get('etag'), doc: verified.document };
}

describe('endpoint registry', () => {
  it('registers instances for the caller’s own service and serves them signed', async () => {
    const reviews = await joinAs('reviews');
    const reg = await post('/v1/endpoints', { instanceId: 'reviews-v2-a', address: '127.0.0.1', port: 19080, labels: { version: 'v2' } }, bearer(reviews.controlToken.token));
    expect(reg.status).toBe(200);
    expect(await reg.json()).toMatchObject({ service: 'default/reviews', instanceId: 'reviews-v2-a', changed: true });
    const { doc, etag } = await endpointsDoc(reviews.controlToken.token);
    expect(doc?.endpoints).toEqual({ 'default/reviews': [{ instanceId: 'reviews-v2-a', address: '127.0.0.1', port: 19080, labels: { version: 'v2' } }] });
    expect(etag).toBe(`"${doc?.version}"`);
    expect((await endpointsDoc(reviews.controlToken.token, { 'if-none-match': etag ?? '' })).status).toBe(304);
  });

  it('refuses to register another service', async () => {
    const reviews = await joinAs('reviews');
    const res = await post('/v1/endpoints', { service: 'ratings', instanceId: 'x', address: '127.0.0.1', port: 1 }, bearer(reviews.controlToken.token));
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain('may register only its own service default/reviews');
  });

  it('a long poll wakes when an instance registers', async () => {
    const reviews = await joinAs('reviews');
    const first = await endpointsDoc(reviews.controlToken.token);
    const waiting = endpointsDoc(reviews.controlToken.token, { 'if-none-match': first.etag ?? '' }, '?wait=30');
    await post('/v1/endpoints', { instanceId: 'r1', address: '127.0.0.1', port: 9080 }, bearer(reviews.controlToken.token));
    const woken = await waiting;
    expect(woken.status).toBe(200);
    expect(woken.doc?.endpoints['default/reviews']?.map((e) => e.instanceId)).toEqual(['r1']);
  });

  it('instances that stop heartbeating drop out after their TTL; heartbeats keep them', async () => {
    const reviews = await joinAs('reviews');
    const t = reviews.controlToken.token;
    await post('/v1/endpoints', { instanceId: 'quiet', address: '127.0.0.1', port: 1, ttlSeconds: 1 }, bearer(t));
    await post('/v1/endpoints', { instanceId: 'alive', address: '127.0.0.1', port: 2, ttlSeconds: 2 }, bearer(t));
    const aliveSince = Date.now(); // registered by now: 2.3 s from here is past its first TTL
    const before = await endpointsDoc(t);
    expect(before.doc?.endpoints['default/reviews']?.map((e) => e.instanceId).sort()).toEqual(['alive', 'quiet']);
    // A watcher is woken by the expiry alarm, not by polling.
    const waiting = endpointsDoc(t, { 'if-none-match': before.etag ?? '' }, '?wait=30');
    await sleep(600);
    await post('/v1/endpoints', { instanceId: 'alive', address: '127.0.0.1', port: 2, ttlSeconds: 5 }, bearer(t)); // heartbeat
    const after = await waiting;
    expect(after.doc?.endpoints['default/reviews']?.map((e) => e.instanceId)).toEqual(['alive']);
    // Past alive's first TTL (2 s): the heartbeat kept it.
    await sleep(Math.max(0, aliveSince + 2300 - Date.now()));
    expect((await endpointsDoc(t)).doc?.endpoints['default/reviews']?.map((e) => e.instanceId)).toEqual(['alive']);
  });

  it('deregisters on shutdown; unknown instances are 404', async () => {
    const reviews = await joinAs('reviews');
    const t = reviews.controlToken.token;
    await post('/v1/endpoints', { instanceId: 'r1', address: '127.0.0.1', port: 1 }, bearer(t));
    const del = await SELF.fetch(`${BASE}/v1/endpoints/r1`, { method: 'DELETE', headers: bearer(t) });
    expect(del.status).toBe(204);
    expect((await endpointsDoc(t)).doc?.endpoints).toEqual({});
    expect((await SELF.fetch(`${BASE}/v1/endpoints/r1`, { method: 'DELETE', headers: bearer(t) })).status).toBe(404);
  });

  it('validates registrations', async () => {
    const t = (await joinAs('reviews')).controlToken.token;
    for (const bad of [{ address: '127.0.0.1', port: 1 }, { instanceId: 'a', address: 'x y', port: 1 }, { instanceId: 'a', address: '127.0.0.1', port: 70000 }, { instanceId: 'a', address: '127.0.0.1', port: 1, ttlSeconds: 3600 }])
      expect((await post('/v1/endpoints', bad, bearer(t))).status).toBe(400);
  });
});

describe('gateway RPC entrypoint (service binding)', () => {
  const rpc = () => new ControlRpc({ waitUntil() {}, passThroughOnException() {}, props: {} } as unknown as ExecutionContext, env as unknown as ControlEnv);

  it('issues the gateway its own JWT-SVIDs without any token', async () => {
    const res = await rpc().gatewaySvid(['spiffe://weft.local/ns/default/sa/productpage']);
    expect(res.spiffeId).toBe('spiffe://weft.local/ns/edge/sa/gateway');
    const ok = await verifyJwtSvid(res.jwtSvids[0]?.token ?? '', { trustBundle: { keys: res.bundle.jwks.keys }, audience: 'spiffe://weft.local/ns/default/sa/productpage' });
    expect(ok).toMatchObject({ ok: true, spiffeId: 'spiffe://weft.local/ns/edge/sa/gateway' });
  });

  it('certifies the gateway’s edge-token key into the trust bundle, public keys only', async () => {
    const { generateSigningKeyPair } = await import('../../core/keys/signing-key.ts');
    const pair = await generateSigningKeyPair('ES256');
    await expect(rpc().certifyGatewayKey(pair.privateJwk)).rejects.toThrow('public key only');
    expect(await rpc().certifyGatewayKey(pair.publicJwk)).toEqual({ issuer: 'spiffe://weft.local/ns/edge/sa/gateway' });
    const bundle = (await (await SELF.fetch(`${BASE}/v1/bundle`)).json()) as { edge: { issuer: string; jwks: { keys: { kid: string }[] } } };
    expect(bundle.edge.issuer).toBe('spiffe://weft.local/ns/edge/sa/gateway');
    expect(bundle.edge.jwks.keys.map((k) => k.kid)).toEqual([pair.publicJwk.kid]);
  });

  it('serves the signed endpoints document, and nothing when the gateway already has that version', async () => {
    const jws = await rpc().endpointsDocument();
    expect(jws).toBeTypeOf('string');
    const jwks = (await (await SELF.fetch(`${BASE}/.well-known/jwks.json`)).json()) as { keys: [] };
    const verified = await verifyEndpointsDocument(jws as string, jwks);
    expect(verified.ok).toBe(true);
    if (!verified.ok) return;
    expect(await rpc().endpointsDocument(verified.document.version)).toBeNull();
    const reviews = await joinAs('reviews');
    await post('/v1/endpoints', { instanceId: 'r1', address: '127.0.0.1', port: 1 }, bearer(reviews.controlToken.token));
    expect(await rpc().endpointsDocument(verified.document.version)).toBeTypeOf('string');
  });

  it('only the gateway’s identity reports kind gateway: a sidecar SVID gets 403, the gateway’s own SVID is accepted', async () => {
    const reviews = await joinAs('reviews');
    const posing = await post('/v1/status', { nodeId: 'gw-fake', kind: 'gateway', appliedVersion: null }, bearer(reviews.controlToken.token));
    expect(posing.status).toBe(403);
    expect(await posing.json()).toEqual({
      error: {
        code: 'reserved_identity',
        message: 'kind "gateway" is reserved for the gateway\'s identity (ns/edge/sa/gateway); spiffe://weft.local/ns/default/sa/reviews is a workload and reports kind "sidecar"',
      },
    });
    expect((await status()).nodes).toEqual([]);
    const gateway = await rpc().gatewaySvid([]);
    expect((await post('/v1/status', { nodeId: 'gw-http', kind: 'gateway', appliedVersion: null }, bearer(gateway.controlToken.token))).status).toBe(204);
    expect((await status()).nodes).toEqual([expect.objectContaining({ nodeId: 'gw-http', service: 'edge/gateway' })]);
  });

  it('records the gateway’s status reports', async () => {
    const v1 = await pushOk(policyFiles(90));
    await rpc().reportGatewayStatus({ nodeId: 'gw-colo-1', appliedVersion: v1 });
    expect((await status()).nodes).toEqual([expect.objectContaining({ nodeId: 'gw-colo-1', service: 'edge/gateway', converged: true })]);
  });
});
