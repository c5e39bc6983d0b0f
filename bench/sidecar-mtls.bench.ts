// `npm run bench -- sidecar-mtls`: what mutual TLS costs between two sidecars, in one run.
//
//   pair lanes   app client → outbound sidecar → inbound sidecar → app, once with plaintext
//                hops (JWT-SVID header, as before mTLS) and once with mTLS hops (TLS 1.3,
//                X.509-SVIDs both ways). Same listeners code, same keep-alive pools, same
//                concurrency; lanes alternate per round. Reports req/s, p50 and p99 latency,
//                and the mTLS/plaintext ratios.
//   handshakes   new mTLS connections per second to an inbound port: full handshakes (no
//                session) and resumed ones (TLS 1.3 session ticket), 4 at a time.
//
// Everything runs in this one process (client, both sidecars, app), so the numbers are CPU per
// request on one core rather than a deployment's throughput; the ratio is the point. For the
// multi-process lanes with wrk, see sidecar.bench.ts.
//   WEFT_BENCH_QUICK=1 … for a short smoke run (1 round, 2 s per lane)
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { Pool } from 'undici';
import { createWorkloadCsr } from '../core/identity/csr.ts';
import { createCertificateAuthority, loadCertificateAuthority } from '../core/identity/x509-ca.ts';
import type { CertificateAuthority } from '../core/identity/x509-ca.ts';
import { issueX509Svid } from '../core/identity/x509-svid.ts';
import { startInbound } from '../sidecar/proxy/inbound.ts';
import { startOutbound } from '../sidecar/proxy/outbound.ts';
import { clientConnectOptions } from '../sidecar/tls/client-tls.ts';
import type { ProxyListener, ProxyObserver, WorkloadTls } from '../sidecar/types.ts';
import { doc } from '../test/support/compile-yaml.ts';
import { createMeshKeys, fixedSidecarView, meshYaml, spiffeIdOf } from '../test/support/sidecar-fixture.ts';

const QUICK = process.env.WEFT_BENCH_QUICK === '1';
const ROUNDS = QUICK ? 1 : 3;
const LANE_S = QUICK ? 2 : 4;
const WARM_S = 1;
const CONCURRENCY = 16;
const HANDSHAKE_S = QUICK ? 1 : 2;

const quiet: ProxyObserver = { request: () => undefined, retry: () => undefined, upstreamError: () => undefined, ejection: () => undefined, rateLimited: () => undefined, circuitOpen: () => undefined };

async function svid(ca: CertificateAuthority, caPem: string, spiffeId: string): Promise<WorkloadTls> {
  const { csrPem, privateKeyPem } = await createWorkloadCsr({ spiffeId });
  const issued = await issueX509Svid(ca, { csrPem, spiffeId, ttlMs: 3600_000 });
  if (!issued.ok) throw new Error(issued.message);
  return { spiffeId, certificatePem: issued.certificatePem, privateKeyPem, authorities: [caPem], issuedAt: Date.now(), expiresAt: issued.expiresAt };
}

interface Pair {
  outbound: ProxyListener;
  inbound: ProxyListener;
}

async function pair(mtls: boolean, appPort: number, material: { client: WorkloadTls; server: WorkloadTls }, keys: Awaited<ReturnType<typeof createMeshKeys>>): Promise<Pair> {
  const policy = [meshYaml('strict'), doc('Service', 'productpage', 'port: 9080'), doc('Service', 'reviews', 'port: 9080')].join('---\n');
  const serverView = await fixedSidecarView({ keys, policy, service: 'reviews', ...(mtls ? { tls: material.server } : {}) });
  const inbound = await startInbound({ view: serverView, observer: quiet, port: 0, app: { host: '127.0.0.1', port: appPort } });
  const clientView = await fixedSidecarView({ keys, policy, service: 'productpage', ...(mtls ? { tls: material.client } : {}) });
  clientView.setEndpoints({ 'default/reviews': [{ instanceId: 'reviews-1', address: '127.0.0.1', port: inbound.port, labels: {} }] });
  const outbound = await startOutbound({ view: clientView, observer: quiet, port: 0 });
  return { outbound, inbound };
}

interface LaneResult {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

async function load(port: number, seconds: number): Promise<LaneResult> {
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: CONCURRENCY, pipelining: 1 });
  const latencies: number[] = [];
  let errors = 0;
  const end = performance.now() + seconds * 1000;
  const worker = async (): Promise<void> => {
    while (performance.now() < end) {
      const t0 = performance.now();
      try {
        const r = await pool.request({ path: '/bench', method: 'GET', headers: { host: 'reviews' } });
        await r.body.dump();
        if (r.statusCode !== 200) errors++;
      } catch {
        errors++;
      }
      latencies.push(performance.now() - t0);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, () => worker()));
  const elapsed = (performance.now() - started) / 1000;
  await pool.close();
  latencies.sort((a, b) => a - b);
  const q = (p: number): number => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN;
  return { rps: latencies.length / elapsed, p50: q(0.5), p99: q(0.99), errors };
}

async function handshakes(port: number, client: WorkloadTls, resumed: boolean, seconds: number): Promise<{ perSecond: number; reused: number }> {
  const options = { host: '127.0.0.1', port, ...clientConnectOptions(client, [spiffeIdOf('default', 'reviews')]) };
  let session: Buffer | undefined;
  let count = 0;
  let reused = 0;
  const end = performance.now() + seconds * 1000;
  const one = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const s = tlsConnect({ ...options, ...(resumed && session ? { session } : {}) }, () => {
        count++;
        if (s.isSessionReused()) reused++;
        // TLS 1.3 tickets arrive after the handshake: wait for one before closing when resuming.
        const done = (): void => {
          s.end();
          resolve();
        };
        if (resumed && !session)
          s.once('session', (t: Buffer) => {
            session = t;
            done();
          });
        else done();
      });
      if (resumed)
        s.on('session', (t: Buffer) => {
          session = t;
        });
      s.on('error', reject);
    });
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (performance.now() < end) await one();
    }),
  );
  return { perSecond: count / ((performance.now() - started) / 1000), reused };
}

const fmt = (n: number, d = 0): string => n.toFixed(d);

async function main(): Promise<void> {
  const app = createServer((_req, res) => res.end('ok'));
  await new Promise<void>((r) => app.listen(0, '127.0.0.1', () => r()));
  const appPort = (app.address() as AddressInfo).port;
  const caPems = await createCertificateAuthority({ trustDomain: 'weft.local', ttlMs: 24 * 3600_000 });
  const ca = await loadCertificateAuthority(caPems);
  const material = { client: await svid(ca, caPems.certificatePem, spiffeIdOf('default', 'productpage')), server: await svid(ca, caPems.certificatePem, spiffeIdOf('default', 'reviews')) };
  const keys = await createMeshKeys();
  const lanes = { plaintext: await pair(false, appPort, material, keys), mtls: await pair(true, appPort, material, keys) };

  console.log(`sidecar mTLS bench: Node ${process.version}, ${CONCURRENCY} concurrent requests, ${ROUNDS} round(s) of ${LANE_S} s per lane (after ${WARM_S} s warm-up), one process`);
  for (const l of Object.values(lanes)) await load(l.outbound.port, WARM_S);
  const results: Record<'plaintext' | 'mtls', LaneResult[]> = { plaintext: [], mtls: [] };
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? (['plaintext', 'mtls'] as const) : (['mtls', 'plaintext'] as const);
    for (const name of order) {
      const r = await load(lanes[name].outbound.port, LANE_S);
      results[name].push(r);
      console.log(`  round ${round + 1} ${name.padEnd(9)} ${fmt(r.rps).padStart(6)} req/s  p50 ${fmt(r.p50, 2)} ms  p99 ${fmt(r.p99, 2)} ms  errors ${r.errors}`);
    }
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
  const summary = (name: 'plaintext' | 'mtls') => ({ rps: median(results[name].map((r) => r.rps)), p99: median(results[name].map((r) => r.p99)), p50: median(results[name].map((r) => r.p50)) });
  const p = summary('plaintext');
  const m = summary('mtls');
  console.log(`pair plaintext: ${fmt(p.rps)} req/s, p50 ${fmt(p.p50, 2)} ms, p99 ${fmt(p.p99, 2)} ms (median of rounds)`);
  console.log(`pair mTLS:      ${fmt(m.rps)} req/s, p50 ${fmt(m.p50, 2)} ms, p99 ${fmt(m.p99, 2)} ms (median of rounds)`);
  console.log(`ratio mTLS/plaintext: throughput ${fmt(m.rps / p.rps, 3)}, p99 ${fmt(m.p99 / p.p99, 3)}`);

  const full = await handshakes(lanes.mtls.inbound.port, material.client, false, HANDSHAKE_S);
  const resumed = await handshakes(lanes.mtls.inbound.port, material.client, true, HANDSHAKE_S);
  console.log(`handshakes (mTLS, TLS 1.3, P-256, 4 at a time): full ${fmt(full.perSecond)}/s; with session resumption ${fmt(resumed.perSecond)}/s (${resumed.reused} resumed)`);

  await Promise.all(Object.values(lanes).flatMap((l) => [l.outbound.close(100), l.inbound.close(100)]));
  await new Promise<void>((r) => app.close(() => r()));
  const errors = [...results.plaintext, ...results.mtls].reduce((n, r) => n + r.errors, 0);
  if (errors > 0) {
    console.error(`${errors} requests failed`);
    process.exitCode = 1;
  }
}

await main();
