// Closing a listener with HTTP/2 clients on it: they are told to go away (GOAWAY) so new
// streams go elsewhere, while a stream in flight finishes within the drain grace.
import { connect } from 'node:http2';
import type { ClientHttp2Session } from 'node:http2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOutbound } from '../../sidecar/proxy/outbound.ts';
import type { ProxyListener } from '../../sidecar/types.ts';
import { doc } from '../support/compile-yaml.ts';
import { createMeshKeys, fixedSidecarView, meshYaml, RecordingObserver } from '../support/sidecar-fixture.ts';
import { startUpstream } from '../support/upstream-server.ts';
import type { UpstreamServer } from '../support/upstream-server.ts';

let app: UpstreamServer;
let outbound: ProxyListener;
let session: ClientHttp2Session;

function get(path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ':path': path, ':authority': 'reviews' });
    let status = 0;
    let body = '';
    stream.on('response', (h) => (status = Number(h[':status'])));
    stream.on('data', (c: Buffer) => (body += c.toString()));
    stream.on('end', () => resolve({ status, body }));
    stream.on('error', reject);
    stream.end();
  });
}

beforeAll(async () => {
  app = await startUpstream('reviews-app');
  const policy = [meshYaml('permissive'), doc('Service', 'reviews', `port: ${app.port}\nendpoints: [{ address: 127.0.0.1 }]`)].join('---\n');
  const view = await fixedSidecarView({ keys: await createMeshKeys(), policy, service: 'productpage' });
  outbound = await startOutbound({ view, observer: new RecordingObserver(), port: 0 });
  session = connect(`http://127.0.0.1:${outbound.port}`);
});

afterAll(async () => {
  session?.destroy();
  await app?.close();
});

describe('draining HTTP/2', () => {
  it('sends GOAWAY to a connected client and lets its stream in flight finish', async () => {
    expect((await get('/warm')).status).toBe(200);
    const goaway = new Promise<void>((resolve) => session.once('goaway', () => resolve()));
    const inFlight = get('/slow/300');
    // The stream is at the upstream before the listener closes.
    while (outbound.inFlight() === 0) await new Promise((r) => setImmediate(r));
    const closed = outbound.close(5_000);
    await goaway;
    expect(await inFlight).toMatchObject({ status: 200 });
    await closed;
    expect(outbound.inFlight()).toBe(0);
  });
});
