// Passive health at the edge: an endpoint that keeps failing is ejected (traffic goes to the
// healthy one), and comes back after its ejection time.
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { gw, PORTS, pushPolicy, route, upstream } from './gateway-support.ts';

beforeAll(async () => {
  await pushPolicy(
    [
      'apiVersion: weft/v1',
      'kind: Service',
      'metadata: { name: pool }',
      'spec:',
      '  endpoints:',
      `    - { address: 127.0.0.1, port: ${PORTS.stable} }`,
      `    - { address: 127.0.0.1, port: ${PORTS.canary} }`,
      '  loadBalancer: { algorithm: round-robin }',
      '  outlierDetection: { consecutiveGatewayErrors: 2, consecutive5xx: 2, baseEjectionTime: 1s, interval: 1s, maxEjectionPercent: 50 }',
    ].join('\n'),
    route('pool', 'pool.example.com', '    - backends: [{ service: pool }]\n      retries: { attempts: 0 }'),
  );
});

beforeEach(async () => {
  await upstream('stable', '/__reset');
  await upstream('canary', '/__reset');
});

async function hits(name: 'stable' | 'canary'): Promise<number> {
  return ((await upstream(name, '/__hits')) as Record<string, number>)['/x'] ?? 0;
}

describe('outlier detection', () => {
  it('ejects an endpoint after consecutive errors and sends traffic to the healthy one; it returns after the ejection time', async () => {
    await upstream('canary', '/__down');
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push((await gw('https://pool.example.com/x')).status);
    // Round robin: the dead endpoint gets every other request until two errors in a row eject it.
    expect(statuses.filter((s) => s === 503).length).toBe(2);
    expect(await hits('stable')).toBe(18);

    await upstream('canary', '/__up');
    await new Promise((r) => setTimeout(r, 1200));
    for (let i = 0; i < 10; i++) expect((await gw('https://pool.example.com/x')).status).toBe(200);
    expect(await hits('canary')).toBeGreaterThan(0);
  });
});
