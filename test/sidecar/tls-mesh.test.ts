// Mutual TLS on the data path: a real outbound listener calling real inbound listeners (each
// with its own X.509-SVID from a test CA made by core's CA functions) in front of a real app.
// Registered endpoints are sidecars, reached over mTLS; the inbound feeds the certificate's
// SPIFFE ID to access policy; strict refuses plaintext except from the edge gateway;
// permissive (a Service override) also takes plaintext; the outbound refuses a server with
// another service's SVID; and SVID renewals and a CA rollover under a bounded load loop fail
// no request.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pool } from 'undici';
import { startInbound } from '../../sidecar/proxy/inbound.ts';
import { startOutbound } from '../../sidecar/proxy/outbound.ts';
import { clientConnectOptions } from '../../sidecar/tls/client-tls.ts';
import type { ProxyListener, WorkloadTls } from '../../sidecar/types.ts';
import { doc } from '../support/compile-yaml.ts';
import { createMeshKeys, DETAILS, fixedSidecarView, GATEWAY_ID, PRODUCTPAGE, RATINGS, REVIEWS, meshYaml, mintSvid, RecordingObserver, seenHeaders, send, spiffeIdOf } from '../support/sidecar-fixture.ts';
import type { FixedView, MeshKeys } from '../support/sidecar-fixture.ts';
import { startUpstream } from '../support/upstream-server.ts';
import type { UpstreamServer } from '../support/upstream-server.ts';
import { svidFor, testCa } from './tls-certs.ts';
import type { TestCa } from './tls-certs.ts';


let keys: MeshKeys;
let ca: TestCa;
let app: UpstreamServer;
let reviews: ProxyListener; // strict (Mesh), access policy on peer IDs
let details: ProxyListener; // permissive (Service override)
let impostor: ProxyListener; // a ratings sidecar, registered as a reviews endpoint in one test
let outbound: ProxyListener;
const views: Record<string, FixedView> = {};
const inObserver = new RecordingObserver();
const outObserver = new RecordingObserver();

function policy(): string {
  return [
    meshYaml('strict'),
    ...['productpage', 'reviews', 'ratings'].map((s) => doc('Service', s, 'port: 9080')),
    doc('Service', 'details', 'port: 9080\nmtls: { mode: permissive }'),
    doc(
      'AccessPolicy',
      'reviews-callers',
      `targetRefs: [{ kind: Service, name: reviews }]
action: allow
rules:
  - from: { principals: ["spiffe://weft.local/ns/default/sa/product*", "${GATEWAY_ID}"] }`,
    ),
  ].join('---\n');
}

function register(endpoints: Record<string, ProxyListener>): void {
  views.productpage?.setEndpoints(
    Object.fromEntries(Object.entries(endpoints).map(([service, l]) => [`default/${service}`, [{ instanceId: `${service}-1`, address: '127.0.0.1', port: l.port, labels: {} }]])),
  );
}

async function viewFor(service: string, tls: WorkloadTls): Promise<FixedView> {
  return (views[service] = await fixedSidecarView({ keys, policy: policy(), service, tls }));
}

/** One request straight to an inbound port over mTLS with `tls` as the client certificate. */
async function direct(port: number, tls: WorkloadTls, allowed: string, path = '/'): Promise<{ status: number; json: Record<string, unknown> }> {
  const pool = new Pool(`https://127.0.0.1:${port}`, { connect: clientConnectOptions(tls, [allowed]) });
  try {
    const r = await pool.request({ path, method: 'GET' });
    return { status: r.statusCode, json: (await r.body.json()) as Record<string, unknown> };
  } finally {
    await pool.close();
  }
}

beforeAll(async () => {
  keys = await createMeshKeys();
  ca = await testCa();
  app = await startUpstream('app');
  const appAt = { host: '127.0.0.1', port: app.port };
  const [reviewsTls, detailsTls, ratingsTls, productTls] = await Promise.all([svidFor(ca, REVIEWS), svidFor(ca, DETAILS), svidFor(ca, RATINGS), svidFor(ca, PRODUCTPAGE)]);
  reviews = await startInbound({ view: await viewFor('reviews', reviewsTls), observer: inObserver, port: 0, app: appAt });
  details = await startInbound({ view: await viewFor('details', detailsTls), observer: inObserver, port: 0, app: appAt });
  impostor = await startInbound({ view: await viewFor('ratings', ratingsTls), observer: inObserver, port: 0, app: appAt });
  outbound = await startOutbound({ view: await viewFor('productpage', productTls), observer: outObserver, port: 0 });
  register({ reviews, details });
});

afterAll(async () => {
  await Promise.all([reviews, details, impostor, outbound].map((l) => l?.close(100)));
  await app?.close();
});

describe('sidecar mTLS data path', () => {
  it('reaches a registered endpoint over mutual TLS; the app learns the caller from the certificate', async () => {
    const before = inObserver.transports.length;
    const r = await send(outbound.port, { host: 'reviews', path: '/reviews/1' });
    expect(r.status).toBe(200);
    expect(seenHeaders(r)['x-weft-peer-id']).toBe(PRODUCTPAGE);
    expect(seenHeaders(r)['x-weft-svid']).toBeUndefined();
    expect(inObserver.transports.slice(before).map((t) => t.transport)).toEqual(['mtls']);
    expect(inObserver.requests.at(-1)).toMatchObject({ direction: 'inbound', peer: PRODUCTPAGE, status: 200 });
  });

  it('keeps calling sidecars over mTLS when no JWT-SVID can be had (a control outage longer than its life)', async () => {
    views.productpage?.setIdentityAvailable(false);
    try {
      const r = await send(outbound.port, { host: 'reviews', path: '/no-jwt' });
      expect(r.status).toBe(200);
      expect(seenHeaders(r)['x-weft-peer-id']).toBe(PRODUCTPAGE);
    } finally {
      views.productpage?.setIdentityAvailable(true);
    }
  });

  it('feeds the peer SPIFFE ID to access policy: a wildcard principal is allowed, another service is denied (403)', async () => {
    const productV2 = await svidFor(ca, spiffeIdOf('default', 'productpage-v2'));
    expect((await direct(reviews.port, productV2, REVIEWS)).status).toBe(200);
    const ratings = await svidFor(ca, RATINGS);
    const denied = await direct(reviews.port, ratings, REVIEWS);
    expect(denied).toMatchObject({ status: 403, json: { error: { code: 'access_denied' } } });
  });

  it('strict: refuses plaintext from a mesh workload even with a valid JWT-SVID, takes it from the edge gateway', async () => {
    const fromWorkload = await send(reviews.port, { headers: { 'x-weft-svid': await mintSvid(keys, PRODUCTPAGE, REVIEWS) } });
    expect(fromWorkload.status).toBe(401);
    expect(fromWorkload.json?.error).toMatchObject({ code: 'mtls_required' });
    const fromGateway = await send(reviews.port, { headers: { 'x-weft-svid': await mintSvid(keys, GATEWAY_ID, REVIEWS) } });
    expect(fromGateway.status).toBe(200);
    expect(seenHeaders(fromGateway)['x-weft-peer-id']).toBe(GATEWAY_ID);
  });

  it('permissive (a Service override of the strict Mesh): takes plaintext and mTLS on the same port, and counts each', async () => {
    const before = inObserver.transports.length;
    const plain = await send(details.port, { path: '/plain' });
    expect(plain.status).toBe(200);
    expect(seenHeaders(plain)['x-weft-peer-id']).toBeUndefined();
    const viaMesh = await send(outbound.port, { host: 'details', path: '/mtls' });
    expect(viaMesh.status).toBe(200);
    expect(seenHeaders(viaMesh)['x-weft-peer-id']).toBe(PRODUCTPAGE);
    expect(inObserver.transports.slice(before).map((t) => t.transport)).toEqual(['plaintext', 'mtls']);
  });

  it('refuses a server that proves another service: a ratings sidecar registered as reviews answers 502, counted', async () => {
    register({ reviews: impostor, details });
    try {
      const r = await send(outbound.port, { host: 'reviews', path: '/' });
      expect(r.status).toBe(502);
      expect(String((r.json?.error as { message?: string }).message)).toMatch(/server is spiffe:\/\/weft\.local\/ns\/default\/sa\/ratings, but this destination may only be spiffe:\/\/weft\.local\/ns\/default\/sa\/reviews/);
      expect(outObserver.tlsRefusals).toContainEqual({ direction: 'outbound', reason: 'wrong_server_id' });
    } finally {
      register({ reviews, details });
    }
  });

  it('refuses at the handshake a client certificate from another CA, and counts it', async () => {
    const before = inObserver.tlsRefusals.length;
    const foreign = await svidFor(await testCa(), PRODUCTPAGE, { trust: [ca] });
    await expect(direct(reviews.port, foreign, REVIEWS)).rejects.toThrow();
    await expect.poll(() => inObserver.tlsRefusals.slice(before).map((r) => r.reason)).toContain('untrusted');
  });

  it('renews SVIDs and rolls the CA over on live listeners under load: zero failed requests', async () => {
    const next = await testCa();
    const both = [ca.certificatePem, next.certificatePem];
    const failures: string[] = [];
    let done = 0;
    let stop = false;
    const deadline = Date.now() + 60_000;
    const worker = async (): Promise<void> => {
      for (let i = 0; i < 400 && !stop && Date.now() < deadline; i++) {
        const r = await send(outbound.port, { host: 'reviews', path: `/load/${i}` }).catch((e: unknown) => ({ status: 0, text: String(e) }));
        if (r.status !== 200) failures.push(`${r.status} ${r.text.slice(0, 200)}`);
        done++;
      }
    };
    const load = Promise.all(Array.from({ length: 6 }, () => worker()));
    const swap = async (service: 'reviews' | 'productpage', issuer: TestCa, authorities: string[]): Promise<void> => {
      const id = service === 'reviews' ? REVIEWS : PRODUCTPAGE;
      const t = await svidFor(issuer, id);
      views[service]?.setTls({ ...t, authorities });
    };
    const step = async (fn: () => Promise<void>): Promise<void> => {
      const at = done;
      await fn();
      // Let some requests run on the new material before the next change (bounded by the loop itself).
      while (done < at + 30 && done < 6 * 400 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    };
    try {
      // Renewals (same CA, new keys and certificates), one side then the other.
      for (let k = 0; k < 2; k++) {
        await step(() => swap('reviews', ca, [ca.certificatePem]));
        await step(() => swap('productpage', ca, [ca.certificatePem]));
      }
      // CA rollover: the new CA joins both bundles before it signs …
      await step(() => swap('reviews', ca, both));
      await step(() => swap('productpage', ca, both));
      // … then signs the renewals (the old CA still trusted) …
      await step(() => swap('reviews', next, both));
      await step(() => swap('productpage', next, both));
      // … then the old CA leaves once nothing it signed is in use.
      await step(() => swap('reviews', next, [next.certificatePem]));
      await step(() => swap('productpage', next, [next.certificatePem]));
    } finally {
      stop = true;
      await load;
    }
    expect(failures).toEqual([]);
    expect(done).toBeGreaterThan(200);
    const last = await send(outbound.port, { host: 'reviews', path: '/after' });
    expect(last.status).toBe(200);
    expect(seenHeaders(last)['x-weft-peer-id']).toBe(PRODUCTPAGE);
  });
});
