// caller-identity (inbound): who is calling. A verified mTLS peer wins over an x-weft-svid
// header; a JWT-SVID names the caller; an edge token names the user and, with no SVID, the
// gateway as peer. A present, invalid credential is always 401; a missing one only in strict
// mode, where a sidecar that can do mTLS takes plaintext from the gateway alone.
import { beforeAll, describe, expect, it } from 'vitest';
import type { SnapshotRuntime } from '../../runtime/snapshot-runtime.ts';
import { GATEWAY_ID, doc, fixture, meshDoc, runtimeOf } from '../../../test/support/pipeline-fixture.ts';
import type { InboundSpec, RequestSpec } from '../../../test/support/pipeline-fixture.ts';
import { callerIdentityStage } from './caller-identity.ts';

const PRODUCTPAGE = 'spiffe://weft.local/ns/default/sa/productpage';
const REVIEWS = 'spiffe://weft.local/ns/default/sa/reviews';
const USER = { requestPrincipal: 'https://idp.example.com/jason', claims: { sub: 'jason' } };

/** Tokens the fake verifiers know. */
const INBOUND: InboundSpec = {
  svids: {
    'svid-productpage': { ok: true, value: PRODUCTPAGE },
    'svid-gateway': { ok: true, value: GATEWAY_ID },
    'svid-expired': { ok: false, code: 'expired', message: 'the JWT-SVID has expired' },
  },
  edgeTokens: {
    'edge-jason': (caller) =>
      caller === null || caller === PRODUCTPAGE || caller === GATEWAY_ID ? { ok: true, value: USER } : { ok: false, code: 'wrong_audience', message: `not addressed to ${caller}` },
    'edge-forged': () => ({ ok: false, code: 'bad_signature', message: 'signature does not verify' }),
  },
};

let strict: SnapshotRuntime;
let permissive: SnapshotRuntime;
beforeAll(async () => {
  const services = [doc('Service', 'reviews', 'port: 9080'), doc('Service', 'legacy', 'port: 9080\nmtls:\n  mode: permissive')];
  [strict, permissive] = await Promise.all([
    runtimeOf([meshDoc('mtls:\n  mode: strict'), ...services].join('---\n')),
    runtimeOf([meshDoc('mtls:\n  mode: permissive'), ...services].join('---\n')),
  ]);
});

function inbound(o: { runtime?: SnapshotRuntime; service?: string; request?: RequestSpec; mtlsCapable?: boolean; edgeIssuer?: string }) {
  return fixture({
    runtime: o.runtime ?? strict,
    plane: 'inbound',
    service: o.service ?? 'default/reviews',
    request: { host: 'reviews.default', scheme: 'http', ...o.request },
    inbound: { ...INBOUND, mtlsCapable: o.mtlsCapable ?? false, ...(o.edgeIssuer !== undefined ? { edgeIssuer: o.edgeIssuer } : {}) },
  });
}

describe('caller-identity stage', () => {
  it('takes the verified mTLS peer, ignoring an x-weft-svid header, synchronously', () => {
    const f = inbound({ mtlsCapable: true, request: { tlsPeer: PRODUCTPAGE, headers: { 'x-weft-svid': 'svid-gateway' } } });
    expect(callerIdentityStage(f.c)).toBeUndefined();
    expect(f.c.peer).toBe(PRODUCTPAGE);
    expect(f.inbound?.svidChecks).toEqual([]);
  });

  it('takes a verified JWT-SVID as the peer', async () => {
    const f = inbound({ request: { headers: { 'x-weft-svid': 'svid-productpage' } } });
    expect(await callerIdentityStage(f.c)).toBeUndefined();
    expect(f.c.peer).toBe(PRODUCTPAGE);
    expect(f.inbound?.svidChecks).toEqual(['svid-productpage']);
  });

  it('refuses a JWT-SVID that does not verify: 401 unauthenticated, even in permissive mode', async () => {
    const f = inbound({ runtime: permissive, request: { headers: { 'x-weft-svid': 'svid-expired' } } });
    expect(await callerIdentityStage(f.c)).toEqual({
      status: 401,
      code: 'unauthenticated',
      message: 'JWT-SVID refused (expired): the JWT-SVID has expired',
      headers: {},
    });
    expect(f.c.peer).toBeNull();
  });

  it('an edge token with a JWT-SVID: the user is set, checked against the verified caller', async () => {
    const f = inbound({ request: { headers: { 'x-weft-svid': 'svid-productpage', 'x-weft-edge-token': 'edge-jason' } } });
    expect(await callerIdentityStage(f.c)).toBeUndefined();
    expect(f.c.peer).toBe(PRODUCTPAGE);
    expect(f.c.user).toEqual({ ...USER, apiKey: null });
    expect(f.inbound?.edgeTokenChecks).toEqual([{ token: 'edge-jason', caller: PRODUCTPAGE }]);
  });

  it('an edge token over mTLS is checked against the TLS peer', async () => {
    const f = inbound({ mtlsCapable: true, request: { tlsPeer: REVIEWS, headers: { 'x-weft-edge-token': 'edge-jason' } } });
    expect(await callerIdentityStage(f.c)).toEqual({
      status: 401,
      code: 'unauthenticated',
      message: `edge token refused (wrong_audience): not addressed to ${REVIEWS}`,
      headers: {},
    });
  });

  it('an edge token without an SVID: the user is set and the gateway is the peer', async () => {
    const f = inbound({ request: { headers: { 'x-weft-edge-token': 'edge-jason' } } });
    expect(await callerIdentityStage(f.c)).toBeUndefined();
    expect(f.c.peer).toBe(GATEWAY_ID);
    expect(f.c.user).toEqual({ ...USER, apiKey: null });
    expect(f.inbound?.edgeTokenChecks).toEqual([{ token: 'edge-jason', caller: null }]);
  });

  it('refuses an edge token that does not verify, even in permissive mode', async () => {
    const f = inbound({ runtime: permissive, request: { headers: { 'x-weft-edge-token': 'edge-forged' } } });
    expect(await callerIdentityStage(f.c)).toEqual({
      status: 401,
      code: 'unauthenticated',
      message: 'edge token refused (bad_signature): signature does not verify',
      headers: {},
    });
    expect(f.c.user).toBeUndefined();
  });

  it('strict, mTLS-capable: plaintext from a mesh caller is 401 mtls_required', async () => {
    const f = inbound({ mtlsCapable: true, request: { headers: { 'x-weft-svid': 'svid-productpage' } } });
    expect(await callerIdentityStage(f.c)).toEqual({
      status: 401,
      code: 'mtls_required',
      message: 'mTLS mode is strict: callers must use mutual TLS (plaintext is accepted from the edge gateway only)',
      headers: {},
    });
    expect(f.c.peer).toBeNull();
  });

  it('strict, mTLS-capable: plaintext from the gateway passes (SVID or edge token alone)', async () => {
    const svid = inbound({ mtlsCapable: true, request: { headers: { 'x-weft-svid': 'svid-gateway' } } });
    expect(await callerIdentityStage(svid.c)).toBeUndefined();
    expect(svid.c.peer).toBe(GATEWAY_ID);
    const edge = inbound({ mtlsCapable: true, request: { headers: { 'x-weft-edge-token': 'edge-jason' } } });
    expect(await callerIdentityStage(edge.c)).toBeUndefined();
    expect(edge.c.peer).toBe(GATEWAY_ID);
  });

  it('strict, mTLS-capable: with no gateway issuer in the bundle nobody passes plaintext', async () => {
    const f = inbound({ mtlsCapable: true, edgeIssuer: '', request: { headers: { 'x-weft-svid': 'svid-gateway' } } });
    expect(await callerIdentityStage(f.c)).toMatchObject({ status: 401, code: 'mtls_required' });
  });

  it('strict, mTLS-capable, nobody named: 401 mtls_required', () => {
    const f = inbound({ mtlsCapable: true });
    expect(callerIdentityStage(f.c)).toMatchObject({ status: 401, code: 'mtls_required' });
  });

  it('strict without mTLS material, nobody named: 401 unauthenticated, synchronously', () => {
    const f = inbound({});
    expect(callerIdentityStage(f.c)).toEqual({
      status: 401,
      code: 'unauthenticated',
      message: 'mTLS mode is strict: the request carries no caller identity (x-weft-svid)',
      headers: {},
    });
  });

  it('strict without mTLS material: a plaintext JWT-SVID caller passes', async () => {
    const f = inbound({ request: { headers: { 'x-weft-svid': 'svid-productpage' } } });
    expect(await callerIdentityStage(f.c)).toBeUndefined();
    expect(f.c.peer).toBe(PRODUCTPAGE);
  });

  it('permissive, nobody named: passes with no peer', () => {
    const f = inbound({ runtime: permissive, mtlsCapable: true });
    expect(callerIdentityStage(f.c)).toBeUndefined();
    expect(f.c.peer).toBeNull();
    expect(f.c.user).toBeUndefined();
  });

  it('a Service’s own permissive mode overrides a strict Mesh', () => {
    const f = inbound({ service: 'default/legacy', mtlsCapable: true, request: { host: 'legacy.default' } });
    expect(callerIdentityStage(f.c)).toBeUndefined();
    expect(f.c.peer).toBeNull();
  });
});
