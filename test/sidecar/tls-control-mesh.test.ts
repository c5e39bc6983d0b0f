// Two whole sidecars (startSidecar: control client, inbound, outbound) against the real control
// Worker, with a Mesh whose X.509-SVIDs live 6 s: productpage's app calls reviews through both
// sidecars over mutual TLS while both renew their SVIDs (new key and certificate every ~3 s)
// on the live listeners and pools. A bounded load loop runs across several renewals on each
// side; not one request fails, and the hops were mTLS (metrics).
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../sidecar/config.ts';
import { startSidecar } from '../../sidecar/sidecar.ts';
import type { SidecarHandle } from '../../sidecar/sidecar.ts';
import { doc } from '../support/compile-yaml.ts';
import { startControl, waitFor } from '../support/control-harness.ts';
import type { ControlHarness } from '../support/control-harness.ts';
import { seenHeaders, send } from '../support/sidecar-fixture.ts';
import { startUpstream } from '../support/upstream-server.ts';
import type { UpstreamServer } from '../support/upstream-server.ts';

let control: ControlHarness;
let app: UpstreamServer;
const sidecars: SidecarHandle[] = [];
const dirs: string[] = [];
let reviews: SidecarHandle;
let productpage: SidecarHandle;

async function sidecar(service: string): Promise<SidecarHandle> {
  const stateDir = mkdtempSync(join(tmpdir(), `weft-mtls-${service}-`));
  dirs.push(stateDir);
  const config = resolveConfig(
    {
      service,
      'app-port': String(app.port),
      'inbound-port': '0',
      'outbound-port': '0',
      'admin-port': '0',
      control: control.url,
      'join-token': await control.joinToken(service),
      'state-dir': stateDir,
      'instance-id': `${service}-mtls-1`,
    },
    {},
  );
  const s = await startSidecar(config, { log: () => undefined, accessLog: new (await import('node:stream')).PassThrough().resume() });
  sidecars.push(s);
  return s;
}

const serial = (s: SidecarHandle): string => {
  const t = s.client.tls();
  return t ? new X509Certificate(t.certificatePem).serialNumber : '';
};

beforeAll(async () => {
  control = await startControl();
  app = await startUpstream('app');
  await control.push({
    'mesh.yaml': doc('Mesh', 'weft', 'trustDomain: weft.local\nidentity: { x509SvidTtl: 6s }\nmtls: { mode: strict }'),
    'services.yaml': [doc('Service', 'productpage', 'port: 9080'), doc('Service', 'reviews', 'port: 9080')].join('---\n'),
  });
  [reviews, productpage] = await Promise.all([sidecar('reviews'), sidecar('productpage')]);
  await waitFor('reviews registered, seen by productpage', () => (productpage.client.endpoints()?.endpoints['default/reviews'] ?? []).length > 0);
  await waitFor('both ready', () => reviews.client.ready() && productpage.client.ready());
}, 60_000);

afterAll(async () => {
  await Promise.all(sidecars.map((s) => s.stop(500)));
  await app?.close();
  await control?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('mTLS between two sidecars with real control', () => {
  it('serves every request while both sidecars renew their X.509-SVIDs under load (zero failed requests)', async () => {
    const seen = { reviews: new Set([serial(reviews)]), productpage: new Set([serial(productpage)]) };
    const failures: string[] = [];
    let done = 0;
    const deadline = Date.now() + 30_000;
    const enough = (): boolean => seen.reviews.size >= 3 && seen.productpage.size >= 3;
    const worker = async (): Promise<void> => {
      for (let i = 0; i < 5_000 && Date.now() < deadline && !enough(); i++) {
        const r = await send(productpage.ports.outbound, { host: 'reviews', path: `/r/${i}` }).catch((e: unknown) => ({ status: 0, text: String(e), json: undefined, headers: {} }));
        if (r.status !== 200) failures.push(`${r.status} ${r.text.slice(0, 300)}`);
        else if (seenHeaders(r as Parameters<typeof seenHeaders>[0])['x-weft-peer-id'] !== 'spiffe://weft.local/ns/default/sa/productpage') failures.push('wrong peer');
        done++;
        seen.reviews.add(serial(reviews));
        seen.productpage.add(serial(productpage));
      }
    };
    await Promise.all(Array.from({ length: 4 }, () => worker()));
    expect(failures).toEqual([]);
    expect(seen.reviews.size).toBeGreaterThanOrEqual(3);
    expect(seen.productpage.size).toBeGreaterThanOrEqual(3);
    expect(done).toBeGreaterThan(0);
    const metrics = (await reviews.metrics.render()).body;
    const mtls = Number(/weft_sidecar_requests_by_transport_total\{direction="inbound",transport="mtls"\} (\d+)/.exec(metrics)?.[1] ?? 0);
    expect(mtls).toBeGreaterThanOrEqual(done);
    expect(metrics).toMatch(/weft_sidecar_requests_by_transport_total\{direction="inbound",transport="plaintext"\} 0/);
  });
});
