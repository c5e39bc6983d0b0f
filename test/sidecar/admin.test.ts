// The admin API of a real sidecar (startSidecar in this process) against the real control
// Worker and a real app: /live, /ready before and after the first snapshot, /config,
// /endpoints, and /metrics after requests went through both proxies; the access log lines.
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../sidecar/config.ts';
import { startSidecar } from '../../sidecar/sidecar.ts';
import type { SidecarHandle } from '../../sidecar/sidecar.ts';
import { basicPolicy, startControl } from '../support/control-harness.ts';
import type { ControlHarness } from '../support/control-harness.ts';
import { startUpstream } from '../support/upstream-server.ts';
import type { UpstreamServer } from '../support/upstream-server.ts';

const ROUTE = `apiVersion: weft/v1
kind: Route
metadata: { name: reviews }
spec:
  mesh: { services: [reviews] }
  rules:
    - name: api
      matches: [{ path: { prefix: /api } }]
      backends: [{ service: reviews }]
`;

let control: ControlHarness;
let app: UpstreamServer;
let sidecar: SidecarHandle;
let stateDir: string;
const accessLines: string[] = [];
const logLines: Record<string, unknown>[] = [];

async function admin(path: string): Promise<{ status: number; body: string; type: string | null }> {
  const res = await fetch(`http://127.0.0.1:${sidecar.ports.admin}${path}`);
  return { status: res.status, body: await res.text(), type: res.headers.get('content-type') };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, attempts = 200): Promise<T> {
  for (let i = 0; i < attempts; i++) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`gave up waiting for ${what}`);
}

/** A request to the outbound listener as an app makes it (`Host: reviews`). */
function viaOutbound(path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: sidecar.ports.outbound, path, headers: { host: 'reviews' }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  control = await startControl();
  app = await startUpstream('reviews');
  stateDir = mkdtempSync(join(tmpdir(), 'weft-sidecar-admin-'));
  const config = resolveConfig(
    {
      service: 'reviews',
      'app-port': String(app.port),
      'inbound-port': '0',
      'outbound-port': '0',
      'admin-port': '0',
      control: control.url,
      'join-token': await control.joinToken('reviews'),
      'state-dir': stateDir,
      'instance-id': 'reviews-admin-1',
      labels: 'version=v1',
    },
    {},
  );
  const access = new PassThrough();
  access.setEncoding('utf8').on('data', (chunk: string) => accessLines.push(...chunk.split('\n').filter(Boolean)));
  // No snapshot pushed yet: the sidecar starts with an identity and nothing to enforce.
  sidecar = await startSidecar(config, { accessLog: access, log: (e) => logLines.push(e) });
}, 60_000);

afterAll(async () => {
  await sidecar?.stop(1000);
  await app?.close();
  await control?.close();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

describe('sidecar admin API', () => {
  it('/live answers 200 while the process runs', async () => {
    const r = await admin('/live');
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ live: true });
  });

  it('/ready is 503 naming what is missing before the first snapshot, then 200', async () => {
    const before = await admin('/ready');
    expect(before.status).toBe(503);
    const body = JSON.parse(before.body) as { ready: boolean; missing: string[]; error: { code: string; message: string } };
    expect(body.ready).toBe(false);
    expect(body.error.code).toBe('not_ready');
    expect(body.missing.some((m) => m.startsWith('snapshot: none yet'))).toBe(true);
    expect(body.missing.some((m) => m.startsWith('svid'))).toBe(false);

    const version = await control.push({ ...basicPolicy(), 'route.yaml': ROUTE });
    const after = await until('ready', async () => {
      const r = await admin('/ready');
      return r.status === 200 ? r : undefined;
    });
    expect(JSON.parse(after.body)).toEqual({ ready: true, snapshot: version });
  });

  it('/config shows the identity, the snapshot and a summary of the mesh routes', async () => {
    const version = await control.currentVersion();
    const r = await admin('/config');
    expect(r.status).toBe(200);
    const config = JSON.parse(r.body);
    expect(config.identity).toEqual({
      spiffeId: 'spiffe://weft.local/ns/default/sa/reviews',
      trustDomain: 'weft.local',
      namespace: 'default',
      service: 'reviews',
      instanceId: 'reviews-admin-1',
      labels: { version: 'v1' },
    });
    expect(config.snapshot).toMatchObject({ version, fromDisk: false });
    expect(config.rejected).toBeNull();
    expect(config.svid.spiffeId).toBe('spiffe://weft.local/ns/default/sa/reviews');
    expect(config.listeners).toEqual({ inbound: sidecar.ports.inbound, outbound: sidecar.ports.outbound });
    expect(config.routes.inbound).toEqual([{ id: 'default/reviews', services: ['default/reviews'], rules: [expect.objectContaining({ name: 'api', backends: ['default/reviews w1'] })] }]);
    expect(config.routes.outbound).toEqual([]);
  });

  it('/endpoints lists the services and instances of the endpoints document, this one included', async () => {
    const doc = await until('own endpoint in the document', async () => {
      const r = await admin('/endpoints');
      if (r.status !== 200) return undefined;
      const d = JSON.parse(r.body) as { version: string; services: { service: string; instances: { instanceId: string }[] }[] };
      return d.services.some((s) => s.instances.some((i) => i.instanceId === 'reviews-admin-1')) ? d : undefined;
    });
    expect(doc.services).toEqual([
      { service: 'default/reviews', instances: [{ instanceId: 'reviews-admin-1', address: '127.0.0.1', port: sidecar.ports.inbound, labels: { version: 'v1' } }] },
    ]);
    expect(doc.version).toBe(sidecar.client.status().endpointsVersion);
  });

  it('/metrics has the request series after real requests went through outbound and inbound', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await viaOutbound(`/api/books/${i}`);
      expect(r.status).toBe(200);
      expect(JSON.parse(r.body).headers['x-weft-peer-id']).toBe('spiffe://weft.local/ns/default/sa/reviews');
    }
    expect((await viaOutbound('/api/missing')).status).toBe(200);
    const m = await admin('/metrics');
    expect(m.status).toBe(200);
    expect(m.type).toContain('text/plain');
    const version = await control.currentVersion();
    const lines = m.body.split('\n');
    const value = (prefix: string) => Number(lines.find((l) => l.startsWith(prefix))?.split(' ').pop());
    expect(value('weft_sidecar_requests_total{direction="outbound",route="default/reviews#api",service="default/reviews",code="200"}')).toBe(4);
    expect(value('weft_sidecar_requests_total{direction="inbound",route="default/reviews#api",service="default/reviews",code="200"}')).toBe(4);
    expect(value('weft_sidecar_request_duration_seconds_bucket{le="0.0001",direction="outbound",route="default/reviews#api",service="default/reviews"}')).toBeGreaterThanOrEqual(0);
    expect(value('weft_sidecar_request_duration_seconds_count{direction="inbound",route="default/reviews#api",service="default/reviews"}')).toBe(4);
    expect(value(`weft_sidecar_snapshot_info{version="${version}",from_disk="false"}`)).toBe(1);
    expect(value('weft_sidecar_snapshot_applied_timestamp_seconds')).toBeGreaterThan(0);
    expect(value('weft_sidecar_snapshot_rejected_total')).toBe(0);
    expect(value('weft_sidecar_svid_expiry_seconds')).toBeGreaterThan(0);
    expect(value('weft_sidecar_requests_in_flight{direction="outbound"}')).toBe(0);
    expect(value('weft_sidecar_control_connected')).toBe(1);
    // The route's retries are the built-in ones, with the built-in budget: its floor is shown.
    expect(value('weft_sidecar_retry_budget_min_per_second{service="default/reviews"}')).toBe(10);
    expect(value('weft_sidecar_retry_budget_percent{service="default/reviews"}')).toBe(20);
    for (const name of ['weft_sidecar_upstream_errors_total', 'weft_sidecar_retries_total', 'weft_sidecar_retry_budget_refusals_total', 'weft_sidecar_outlier_ejections_total', 'weft_sidecar_rate_limited_total', 'weft_sidecar_circuit_open_total', 'weft_sidecar_process_resident_memory_bytes'])
      expect(m.body).toContain(`# TYPE ${name} `);
  });

  it('writes one JSON access-log line per request and direction', async () => {
    const lines = await until('access log lines', async () => {
      const parsed = accessLines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((e) => e.path === '/api/missing');
      return parsed.length === 2 ? parsed : undefined;
    });
    const outbound = lines.find((l) => l.direction === 'outbound');
    const inbound = lines.find((l) => l.direction === 'inbound');
    expect(outbound).toMatchObject({ component: 'sidecar.access', method: 'GET', authority: 'reviews', route: 'default/reviews#api', service: 'default/reviews', status: 200, upstream: `127.0.0.1:${sidecar.ports.inbound}`, retries: 0, retryRefused: null, reason: null, abandoned: false });
    expect(inbound).toMatchObject({ status: 200, peer: 'spiffe://weft.local/ns/default/sa/reviews', upstream: `127.0.0.1:${app.port}` });
    expect(inbound?.traceId).toBe(outbound?.traceId);
    expect(typeof outbound?.latencyMs).toBe('number');
  });

  it('unknown admin paths answer 404 with a JSON error', async () => {
    const r = await admin('/nope');
    expect(r.status).toBe(404);
    expect(JSON.parse(r.body).error.code).toBe('not_found');
  });
});
