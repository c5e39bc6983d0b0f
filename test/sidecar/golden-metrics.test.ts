// The golden metrics of a real sidecar (startSidecar in this process, real control Worker, real
// app): after real requests through its outbound and inbound listeners — answered, failed, and
// one the client abandoned — /metrics has weft_requests_total and weft_request_duration_seconds
// with the documented labels, the Mesh's maxRouteLabels holds, and Debian's
// `promtool check metrics` accepts the whole exposition.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { connect, constants as h2 } from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../sidecar/config.ts';
import { startSidecar } from '../../sidecar/sidecar.ts';
import type { SidecarHandle } from '../../sidecar/sidecar.ts';
import { waitFor } from '../support/basics.ts';
import { basicPolicy, startControl } from '../support/control-harness.ts';
import type { ControlHarness } from '../support/control-harness.ts';
import { ensureUnpackedDebianCommand } from '../support/debian-packages.ts';
import { startUpstream } from '../support/upstream-server.ts';
import type { UpstreamServer } from '../support/upstream-server.ts';

const MESH = `apiVersion: weft/v1
kind: Mesh
metadata: { name: weft }
spec:
  telemetry: { maxRouteLabels: 1 }
`;

const ROUTE = `apiVersion: weft/v1
kind: Route
metadata: { name: reviews }
spec:
  mesh: { services: [reviews] }
  rules:
    - name: api
      matches: [{ path: { prefix: /api } }]
      backends: [{ service: reviews }]
    - name: slow
      matches: [{ path: { prefix: /slow } }]
      backends: [{ service: reviews }]
    - name: status
      matches: [{ path: { prefix: /status } }]
      backends: [{ service: reviews }]
`;

const DEBIAN_CACHE = fileURLToPath(new URL('../../.weft/debian', import.meta.url));

let control: ControlHarness;
let app: UpstreamServer;
let sidecar: SidecarHandle;
let stateDir: string;
let promtool: string;

/** A request to the outbound listener as the app makes it (`Host: reviews`); resolves with the status. */
function viaOutbound(path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: sidecar.ports.outbound, path, headers: { host: 'reviews' }, agent: false }, (res) => {
      res.resume().on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

async function metricsText(): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${sidecar.ports.admin}/metrics`);
  return res.text();
}

function valueOf(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const labels = (direction: string, source: string, route: string, statusClass: string) =>
  `direction="${direction}",source="${source}",destination="default/reviews",route="${route}",status_class="${statusClass}",grpc_status=""`;

beforeAll(async () => {
  // Debian's promtool, unpacked under .weft/ by the test support (no install, no service started).
  promtool = ensureUnpackedDebianCommand('prometheus', 'usr/bin/promtool', DEBIAN_CACHE);
  control = await startControl();
  app = await startUpstream('reviews');
  stateDir = mkdtempSync(join(tmpdir(), 'weft-sidecar-golden-'));
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
      'instance-id': 'reviews-golden-1',
    },
    {},
  );
  sidecar = await startSidecar(config, { accessLog: new PassThrough().resume(), log: () => undefined });
  const version = await control.push({ ...basicPolicy(), 'mesh.yaml': MESH, 'route.yaml': ROUTE });
  await waitFor('the snapshot and this instance in the endpoints', async () => {
    const ready = await fetch(`http://127.0.0.1:${sidecar.ports.admin}/ready`);
    if (ready.status !== 200 || ((await ready.json()) as { snapshot?: string }).snapshot !== version) return false;
    const eps = (await (await fetch(`http://127.0.0.1:${sidecar.ports.admin}/endpoints`)).json()) as { services: { instances: unknown[] }[] };
    return eps.services.some((s) => s.instances.length > 0);
  });
}, 120_000);

afterAll(async () => {
  await sidecar?.stop(1000);
  await app?.close();
  await control?.close();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

describe('sidecar golden metrics', () => {
  it('counts answered and failed requests per direction, source, destination, route and status class', async () => {
    for (let i = 0; i < 3; i++) expect(await viaOutbound(`/api/books/${i}`)).toBe(200);
    // Past maxRouteLabels (1): `status` is counted as other.
    expect(await viaOutbound('/status/404')).toBe(404);
    const text = await metricsText();
    // Outbound, the source is this workload; inbound, the caller's verified identity (here itself).
    for (const direction of ['outbound', 'inbound']) {
      expect(valueOf(text, `weft_requests_total{${labels(direction, 'default/reviews', 'default/reviews#api', '2xx')}}`)).toBe(3);
      expect(valueOf(text, `weft_requests_total{${labels(direction, 'default/reviews', 'other', '4xx')}}`)).toBe(1);
      expect(valueOf(text, `weft_request_duration_seconds_count{${labels(direction, 'default/reviews', 'default/reviews#api', '2xx')}}`)).toBe(3);
      expect(valueOf(text, `weft_request_duration_seconds_bucket{${labels(direction, 'default/reviews', 'default/reviews#api', '2xx')},le="+Inf"}`)).toBe(3);
    }
  });

  it('counts a request the client abandoned as abandoned, past the route-label bound as other', async () => {
    const req = request({ host: '127.0.0.1', port: sidecar.ports.outbound, path: '/slow/30000', headers: { host: 'reviews' }, agent: false });
    req.on('error', () => undefined);
    req.end();
    // Gone once the app holds the request: both sidecars had it in flight.
    await waitFor('the app to get the slow request', async () => ((await (await fetch(`http://127.0.0.1:${app.port}/__hits`)).json()) as Record<string, number>)['/slow/30000'] === 1);
    req.destroy();
    const text = await waitFor('both directions to count it', async () => {
      const t = await metricsText();
      return t.includes(labels('outbound', 'default/reviews', 'other', 'abandoned')) && t.includes(labels('inbound', 'default/reviews', 'other', 'abandoned')) ? t : undefined;
    });
    // maxRouteLabels: 1 — `api` was seen first; `slow` is counted as other, never under its own name.
    expect(valueOf(text, `weft_requests_total{${labels('outbound', 'default/reviews', 'other', 'abandoned')}}`)).toBe(1);
    expect(valueOf(text, `weft_requests_total{${labels('inbound', 'default/reviews', 'other', 'abandoned')}}`)).toBe(1);
    expect(text).not.toMatch(/^weft_request[^{]*\{[^}]*route="default\/reviews#(slow|status)"/m);
    // Not a 200 anywhere: the only 2xx are the three answered `api` requests per direction.
    expect(text.split('\n').filter((l) => /^weft_requests_total\{.*status_class="2xx"/.test(l)).sort()).toEqual([
      `weft_requests_total{${labels('inbound', 'default/reviews', 'default/reviews#api', '2xx')}} 3`,
      `weft_requests_total{${labels('outbound', 'default/reviews', 'default/reviews#api', '2xx')}} 3`,
    ]);
  });

  it('counts an HTTP/2 stream the client cancelled as abandoned too', async () => {
    const session = connect(`http://127.0.0.1:${sidecar.ports.outbound}`);
    session.on('error', () => undefined);
    const stream = session.request({ ':path': '/slow/30001', ':authority': 'reviews' });
    stream.on('error', () => undefined);
    await waitFor('the app to get the slow stream', async () => ((await (await fetch(`http://127.0.0.1:${app.port}/__hits`)).json()) as Record<string, number>)['/slow/30001'] === 1);
    stream.close(h2.NGHTTP2_CANCEL);
    const series = `weft_requests_total{${labels('outbound', 'default/reviews', 'other', 'abandoned')}}`;
    await waitFor('the outbound count to reach 2', async () => valueOf(await metricsText(), series) === 2);
    session.close();
    const text = await metricsText();
    // Abandoned, not 2xx: the outbound `other` series are the 404 and the two abandoned requests.
    expect(text.split('\n').filter((l) => /^weft_requests_total\{direction="outbound".*route="other"/.test(l)).sort()).toEqual([
      `weft_requests_total{${labels('outbound', 'default/reviews', 'other', '4xx')}} 1`,
      `${series} 2`,
    ]);
  });

  it('passes promtool check metrics', async () => {
    const text = await metricsText();
    expect(text).toContain('# TYPE weft_requests_total counter');
    const r = spawnSync(promtool, ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect({ status: r.status, out: `${r.stdout}${r.stderr}`.trim() }).toEqual({ status: 0, out: '' });
  });
});
