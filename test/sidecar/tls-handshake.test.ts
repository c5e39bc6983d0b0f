// Mutual TLS between sidecars at the handshake: real TLS 1.3 on 127.0.0.1 with X.509-SVIDs
// made by core's CA functions (as control makes them). The server is sidecar/tls's mTLS
// server, the client undici with sidecar/tls's connect options, as the data path uses them.
import type { AddressInfo } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { TLSSocket } from 'node:tls';
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientConnectOptions, serviceSpiffeIds } from '../../sidecar/tls/client-tls.ts';
import { createMtlsServer, peerOf, peerProblem } from '../../sidecar/tls/server-tls.ts';
import type { TlsRefusal } from '../../sidecar/tls/server-tls.ts';
import type { WorkloadTls } from '../../sidecar/types.ts';
import { svidFor, testCa } from './tls-certs.ts';
import type { TestCa } from './tls-certs.ts';

const REVIEWS = 'spiffe://weft.local/ns/default/sa/reviews';
const PRODUCTPAGE = 'spiffe://weft.local/ns/default/sa/productpage';

let ca: TestCa;
let otherCa: TestCa;
let serverTls: WorkloadTls;
let clientTls: WorkloadTls;
let port = 0;
const refusals: { kind: TlsRefusal; reason: string }[] = [];
const server = createMtlsServer(
  { material: () => serverTls, trustDomain: () => 'weft.local', refused: (kind, reason) => refusals.push({ kind, reason }) },
  (req, res) => {
    const socket = req.socket as TLSSocket;
    const peer = peerOf(socket, serverTls.authorities);
    res.writeHead(peer ? 200 : 403, { 'content-type': 'application/json' });
    res.end(JSON.stringify(peer ? { peer, resumed: socket.isSessionReused() } : { error: { code: 'forbidden', message: peerProblem(socket) } }));
  },
  // Kept-alive connections live as long as on the sidecar's inbound listener (sidecar/proxy/listener.ts);
  // with Node's default 5 s (undici lets go at 3 s) a kept-alive connection could end before a test reuses it.
  { keepAliveTimeout: 65_000 },
);

type Outcome = { status: number; body: Record<string, unknown> } | { error: string; message: string };

async function call(t: WorkloadTls, allowed: string[] = [REVIEWS], connect: Record<string, unknown> = {}, pool?: Pool): Promise<Outcome> {
  const p = pool ?? new Pool(`https://127.0.0.1:${port}`, { connect: { ...clientConnectOptions(t, allowed), ...connect } });
  try {
    const r = await p.request({ path: '/', method: 'GET' });
    return { status: r.statusCode, body: (await r.body.json()) as Record<string, unknown> };
  } catch (e) {
    return { error: String((e as { code?: string }).code), message: (e as Error).message };
  } finally {
    if (!pool) await p.close();
  }
}

beforeAll(async () => {
  [ca, otherCa] = await Promise.all([testCa(), testCa()]);
  [serverTls, clientTls] = await Promise.all([svidFor(ca, REVIEWS), svidFor(ca, PRODUCTPAGE)]);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function lastRefusal(): { kind: TlsRefusal; reason: string } | undefined {
  return refusals[refusals.length - 1];
}

describe('sidecar mTLS handshake', () => {
  it('accepts a client with an SVID of the mesh CA; the server knows its SPIFFE ID, the client checked the server is the destination service', async () => {
    expect(await call(clientTls, serviceSpiffeIds('weft.local', 'default/reviews'))).toEqual({ status: 200, body: { peer: PRODUCTPAGE, resumed: false } });
  });

  it('refuses a client without a certificate, and says so', async () => {
    const { cert: _cert, key: _key, ...noCert } = clientConnectOptions(clientTls, [REVIEWS]);
    const before = refusals.length;
    const pool = new Pool(`https://127.0.0.1:${port}`, { connect: noCert });
    const outcome = await call(clientTls, [REVIEWS], {}, pool);
    await pool.close();
    expect(outcome).toMatchObject({ error: expect.stringMatching(/^UND_ERR_SOCKET|ECONNRESET$/) });
    await expect.poll(() => refusals.length).toBeGreaterThan(before);
    expect(lastRefusal()).toEqual({ kind: 'no_client_cert', reason: expect.stringMatching(/no certificate/) });
  });

  it('refuses a client certificate from another CA', async () => {
    const before = refusals.length;
    const foreign = await svidFor(otherCa, PRODUCTPAGE, { trust: [ca] });
    expect(await call(foreign)).toMatchObject({ error: expect.any(String) });
    await expect.poll(() => refusals.length).toBeGreaterThan(before);
    expect(lastRefusal()).toEqual({ kind: 'untrusted', reason: expect.stringMatching(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT/) });
  });

  it('refuses an expired client certificate', async () => {
    const before = refusals.length;
    const expired = await svidFor(ca, PRODUCTPAGE, { now: Date.now() - 3 * 3600_000, ttlMs: 3600_000 });
    expect(await call(expired)).toMatchObject({ error: expect.any(String) });
    await expect.poll(() => refusals.length).toBeGreaterThan(before);
    expect(lastRefusal()).toEqual({ kind: 'expired', reason: expect.stringMatching(/CERT_HAS_EXPIRED/) });
  });

  it('the client refuses a server with a valid SVID of another service (wrong SPIFFE ID)', async () => {
    expect(await call(clientTls, serviceSpiffeIds('weft.local', 'default/ratings'))).toEqual({
      error: 'ERR_WEFT_PEER_ID',
      message: `server is ${REVIEWS}, but this destination may only be spiffe://weft.local/ns/default/sa/ratings`,
    });
  });

  it('the client refuses a server whose certificate is not from a CA it trusts', async () => {
    const distrustful = { ...clientTls, authorities: [otherCa.certificatePem] };
    expect(await call(distrustful)).toMatchObject({ error: expect.stringMatching(/^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY|SELF_SIGNED_CERT_IN_CHAIN)$/) });
  });

  it('refuses TLS 1.2', async () => {
    const error = await new Promise<string>((resolve) => {
      const s = tlsConnect({ host: '127.0.0.1', port, ...clientConnectOptions(clientTls, [REVIEWS]), minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' });
      s.on('secureConnect', () => {
        s.destroy();
        resolve('connected');
      });
      s.on('error', (e: Error & { code?: string }) => resolve(String(e.code)));
    });
    expect(error).toMatch(/ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION|ERR_SSL_UNSUPPORTED_PROTOCOL|ECONNRESET/);
  });

  it('resumes TLS sessions: a new connection from the same pool does not pay a full handshake', async () => {
    const pool = new Pool(`https://127.0.0.1:${port}`, { connect: clientConnectOptions(clientTls, [REVIEWS]), pipelining: 1 });
    try {
      const first = await call(clientTls, [REVIEWS], {}, pool);
      expect(first).toMatchObject({ status: 200, body: { resumed: false } });
      // Two requests at once need two connections: the second resumes the first one's session.
      const both = await Promise.all([call(clientTls, [REVIEWS], {}, pool), call(clientTls, [REVIEWS], {}, pool)]);
      expect(both.map((o) => ('body' in o ? o.body.resumed : o.error))).toContain(true);
    } finally {
      await pool.close();
    }
  });

  it('swaps its certificate without a restart: new connections get the renewed SVID, the open one keeps working', async () => {
    const pool = new Pool(`https://127.0.0.1:${port}`, { connect: clientConnectOptions(clientTls, [REVIEWS]), connections: 1 });
    try {
      expect(await call(clientTls, [REVIEWS], {}, pool)).toMatchObject({ status: 200 });
      const old = serverTls;
      serverTls = await svidFor(ca, REVIEWS);
      const served = await new Promise<string>((resolve, reject) => {
        const s = tlsConnect({ host: '127.0.0.1', port, ...clientConnectOptions(clientTls, [REVIEWS]) }, () => {
          resolve(s.getPeerX509Certificate()?.serialNumber ?? '');
          s.destroy();
        });
        s.on('error', reject);
      });
      const { X509Certificate } = await import('node:crypto');
      expect(served).toBe(new X509Certificate(serverTls.certificatePem).serialNumber);
      expect(served).not.toBe(new X509Certificate(old.certificatePem).serialNumber);
      expect(await call(clientTls, [REVIEWS], {}, pool)).toMatchObject({ status: 200 });
    } finally {
      await pool.close();
    }
  });

  it('a CA that leaves the bundle: its SVIDs are refused at the handshake, and with 403 on a connection opened before', async () => {
    const rotatedCa = await testCa();
    const oldClient = await svidFor(ca, PRODUCTPAGE, { trust: [ca, rotatedCa] });
    const saved = serverTls;
    // Rollover: the new CA joins the bundle; the server's SVID comes from it.
    serverTls = await svidFor(rotatedCa, REVIEWS, { trust: [ca, rotatedCa] });
    const pool = new Pool(`https://127.0.0.1:${port}`, { connect: clientConnectOptions(oldClient, [REVIEWS]), connections: 1 });
    try {
      expect(await call(oldClient, [REVIEWS], {}, pool)).toMatchObject({ status: 200, body: { peer: PRODUCTPAGE } });
      // The old CA leaves the bundle (its last SVID "expired"): the open connection gets 403 …
      serverTls = { ...serverTls, authorities: [rotatedCa.certificatePem] };
      expect(await call(oldClient, [REVIEWS], {}, pool)).toEqual({ status: 403, body: { error: { code: 'forbidden', message: expect.stringMatching(/not signed by a CA in the current trust bundle/) } } });
      // … and a new connection is refused at the handshake.
      const before = refusals.length;
      expect(await call(oldClient)).toMatchObject({ error: expect.any(String) });
      await expect.poll(() => refusals.length).toBeGreaterThan(before);
      expect(lastRefusal()?.kind).toBe('untrusted');
      // An SVID of the new CA is accepted.
      expect(await call(await svidFor(rotatedCa, PRODUCTPAGE))).toMatchObject({ status: 200 });
    } finally {
      await pool.close();
      serverTls = saved;
    }
  });

  it('refuses a client whose certificate names a SPIFFE ID outside the trust domain, even from a trusted CA', async () => {
    const foreignDomain = await testCa('other.org');
    const saved = serverTls;
    serverTls = { ...serverTls, authorities: [ca.certificatePem, foreignDomain.certificatePem] };
    const before = refusals.length;
    try {
      const stranger = await svidFor(foreignDomain, 'spiffe://other.org/ns/default/sa/productpage', { trust: [ca] });
      // (its own check would refuse our server, of another trust domain, first: skip it to reach ours)
      expect(await call(stranger, [REVIEWS], { checkServerIdentity: () => undefined })).toMatchObject({ error: expect.any(String) });
      await expect.poll(() => refusals.length).toBeGreaterThan(before);
      expect(lastRefusal()).toEqual({ kind: 'bad_peer', reason: 'the peer spiffe://other.org/ns/default/sa/productpage is outside the trust domain weft.local' });
    } finally {
      serverTls = saved;
    }
  });

  it('answers 403 on a kept-alive connection once the client certificate has expired since the handshake', async () => {
    // notAfter is whole seconds: a certificate valid for the next 2-3 s.
    const shortLived = await svidFor(ca, PRODUCTPAGE, { ttlMs: 2_000 });
    const pool = new Pool(`https://127.0.0.1:${port}`, { connect: clientConnectOptions(shortLived, [REVIEWS]), connections: 1, keepAliveTimeout: 30_000 });
    try {
      expect(await call(shortLived, [REVIEWS], {}, pool)).toMatchObject({ status: 200, body: { peer: PRODUCTPAGE } });
      await new Promise((r) => setTimeout(r, Math.max(0, shortLived.expiresAt - Date.now()) + 1_100));
      expect(await call(shortLived, [REVIEWS], {}, pool)).toEqual({ status: 403, body: { error: { code: 'forbidden', message: expect.stringMatching(/client certificate of .* expired at/) } } });
    } finally {
      await pool.close();
    }
  });

  it('refuses connections while it has no SVID to serve', async () => {
    const saved = serverTls;
    serverTls = undefined as unknown as WorkloadTls;
    try {
      expect(await call(clientTls)).toMatchObject({ error: expect.any(String) });
      expect(lastRefusal()?.kind).toBe('no_svid');
    } finally {
      serverTls = saved;
    }
  });
});
