// The deadline a request carries from hop to hop, over real sockets: `client`'s outbound tells
// each try its time in x-weft-timeout-ms, `reviews`' inbound (in front of a real app) bounds
// the app's call by it and tells the app the time left, and an outbound bounds its route
// timeout by the value the app passed on. So a hop never works, or retries, for a caller that
// has given up. The arithmetic is core's, unit-tested on a fake clock
// (core/pipeline/stages/attempts-deadline.test.ts, to-app.test.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInbound } from '../../sidecar/proxy/inbound.ts';
import { startOutbound } from '../../sidecar/proxy/outbound.ts';
import type { ProxyListener } from '../../sidecar/types.ts';
import { doc } from '../support/compile-yaml.ts';
import { createMeshKeys, fixedSidecarView, meshYaml, RecordingObserver, send, seenHeaders } from '../support/sidecar-fixture.ts';
import { startUpstream } from '../support/upstream-server.ts';
import type { SeenRequest, UpstreamServer } from '../support/upstream-server.ts';

let app: UpstreamServer;
let inbound: ProxyListener;
let outbound: ProxyListener;
const outboundLog = new RecordingObserver();

/** The x-weft-timeout-ms the app saw on its requests to `path`, in order. */
async function appSaw(path: string): Promise<number[]> {
  const log = (await (await fetch(`http://127.0.0.1:${app.port}/__log`)).json()) as SeenRequest[];
  return log.filter((r) => r.url === path).map((r) => Number(r.headers['x-weft-timeout-ms']));
}

beforeAll(async () => {
  app = await startUpstream('reviews');
  const keys = await createMeshKeys();
  const policy = (inboundPort: number) =>
    [
      meshYaml('permissive'),
      doc('Service', 'reviews', `port: 9080${inboundPort ? `\nendpoints:\n  - { address: 127.0.0.1, port: ${inboundPort} }` : ''}`),
      doc('Service', 'client', 'port: 9080'),
      doc(
        'Route',
        'reviews',
        [
          'mesh:\n  services: [reviews]\nrules:',
          '  - name: per-try\n    matches: [{ headers: [{ name: x-mode, exact: per-try }] }]\n    backends: [{ service: reviews }]\n    timeout: 5s\n    retries: { attempts: 1, perTryTimeout: 300ms, retryOn: [reset] }',
          '  - name: short\n    matches: [{ headers: [{ name: x-mode, exact: short }] }]\n    backends: [{ service: reviews }]\n    timeout: 400ms',
          '  - name: long\n    backends: [{ service: reviews }]\n    timeout: 10s',
        ].join('\n'),
      ),
    ].join('---\n');
  inbound = await startInbound({ view: await fixedSidecarView({ keys, policy: policy(0), service: 'reviews' }), observer: new RecordingObserver(), port: 0, app: { host: '127.0.0.1', port: app.port } });
  outbound = await startOutbound({ view: await fixedSidecarView({ keys, policy: policy(inbound.port), service: 'client' }), observer: outboundLog, port: 0 });
});

afterAll(async () => {
  await Promise.all([outbound.close(100), inbound.close(100)]);
  await app.close();
});

describe('x-weft-timeout-ms from hop to hop', () => {
  it('each try says its time (here the per-try timeout); the inbound tells the app what is left of it', async () => {
    const r = await send(outbound.port, { host: 'reviews', path: '/books/1', headers: { 'x-mode': 'per-try' } });
    expect(r.status).toBe(200);
    const told = Number(seenHeaders(r)['x-weft-timeout-ms']);
    expect(told).toBeGreaterThan(0);
    expect(told).toBeLessThanOrEqual(300);
  });

  it('the inbound cuts the app off when the caller’s time is up: 504, and the caller hears it', async () => {
    const r = await send(inbound.port, { host: 'reviews', path: '/slow/3000', headers: { 'x-weft-timeout-ms': '200' } });
    expect(r.status).toBe(504);
    expect(r.json?.error).toEqual({ code: 'upstream_timeout', message: `the app at 127.0.0.1:${app.port} did not answer within the caller's x-weft-timeout-ms of 200 ms` });
    const [seen] = await appSaw('/slow/3000');
    expect(seen).toBeGreaterThan(0);
    expect(seen).toBeLessThanOrEqual(200);
  });

  it('without it, the inbound waits for the app as long as the app takes', async () => {
    const r = await send(inbound.port, { host: 'reviews', path: '/slow/300' });
    expect(r.status).toBe(200);
    expect(seenHeaders(r)['x-weft-timeout-ms']).toBeUndefined();
  });

  it('an outbound bounds the route timeout by what the app passed on, and tells the next hop the shorter time', async () => {
    // The route allows 10 s; the app's own caller allowed 250 ms.
    const r = await send(outbound.port, { host: 'reviews', path: '/slow/2500', headers: { 'x-weft-timeout-ms': '250' } });
    expect(r.status).toBe(504);
    expect((r.json?.error as { code: string }).code).toBe('upstream_timeout');
    const [seen] = await appSaw('/slow/2500');
    expect(seen).toBeGreaterThan(0);
    expect(seen).toBeLessThanOrEqual(250);
  });

  it('an outbound never lengthens the route timeout for a longer value', async () => {
    const r = await send(outbound.port, { host: 'reviews', path: '/slow/1500', headers: { 'x-mode': 'short', 'x-weft-timeout-ms': '60000' } });
    expect(r.status).toBe(504);
    const [seen] = await appSaw('/slow/1500');
    expect(seen).toBeLessThanOrEqual(400);
  });
});
