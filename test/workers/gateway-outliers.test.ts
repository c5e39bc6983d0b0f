// Passive health at the edge: an endpoint that keeps failing is ejected (traffic goes to the
// healthy one), and comes back after its ejection time; a retry goes to an endpoint the
// request has not tried yet.
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { gw, PORTS, pushPolicy, route, upstream } from './gateway-support.ts';

/** A Service whose two endpoints are the stable and canary upstreams; `spec` lines follow. */
function stableAndCanary(name: string, ...spec: string[]): string {
  const endpoints = [`    - { address: 127.0.0.1, port: ${PORTS.stable} }`, `    - { address: 127.0.0.1, port: ${PORTS.canary} }`];
  return ['apiVersion: weft/v1', 'kind: Service', `metadata: { name: ${name} }`, 'spec:', '  endpoints:', ...endpoints, ...spec.map((l) => `  ${l}`)].join('\n');
}

beforeAll(async () => {
  await pushPolicy(
    stableAndCanary('pool', 'loadBalancer: { algorithm: round-robin }', 'outlierDetection: { consecutiveGatewayErrors: 2, consecutive5xx: 2, baseEjectionTime: 3s, interval: 1s, maxEjectionPercent: 50 }'),
    route('pool', 'pool.example.com', '    - backends: [{ service: pool }]\n      retries: { attempts: 0 }'),
    stableAndCanary('spread', 'loadBalancer: { algorithm: random }'),
    route(
      'spread',
      'spread.example.com',
      '    - backends: [{ service: spread }]\n      retries: { attempts: 2, retryOn: [gateway-error], backoff: { baseInterval: 1ms }, budget: { percent: 20, minRetriesPerSecond: 1000 } }',
    ),
  );
});

beforeEach(async () => {
  await upstream('stable', '/__reset');
  await upstream('canary', '/__reset');
});

async function hits(name: 'stable' | 'canary', path = '/x'): Promise<number> {
  return ((await upstream(name, '/__hits')) as Record<string, number>)[path] ?? 0;
}

describe('outlier detection', () => {
  it('ejects an endpoint after consecutive errors and sends traffic to the healthy one; it returns after the ejection time', async () => {
    await upstream('canary', '/__down');
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push((await gw('https://pool.example.com/x')).status);
    // Round robin: the dead endpoint gets every other request until two errors in a row eject it.
    expect(statuses.filter((s) => s === 503).length).toBe(2);
    expect(await hits('stable')).toBe(18);

    const during = await hits('canary'); // its two 503s
    await upstream('canary', '/__up');
    // Back after baseEjectionTime (3 s, long enough for the 20 requests above on a slow
    // machine): every answer stays 200 until the endpoint gets traffic again.
    const meanwhile: number[] = [];
    await vi.waitFor(
      async () => {
        if ((await hits('canary')) > during) return;
        meanwhile.push((await gw('https://pool.example.com/x')).status);
        throw new Error('canary not back in rotation yet');
      },
      { timeout: 10_000, interval: 50 },
    );
    expect(meanwhile.filter((s) => s !== 200)).toEqual([]);
  });
});

describe('retries', () => {
  it('go to an endpoint the request has not tried yet: with one of two endpoints failing, every GET succeeds', async () => {
    await upstream('canary', '/__down');
    try {
      // Random picks: were retries blind to what was tried, about 1 GET in 8 would get the
      // failing endpoint three times (60 good answers in a row: about once in 3 000 runs).
      const statuses: number[] = [];
      for (let i = 0; i < 60; i++) statuses.push((await gw('https://spread.example.com/y')).status);
      expect(statuses.filter((s) => s !== 200)).toEqual([]);
      expect(await hits('stable', '/y')).toBe(60);
      expect(await hits('canary', '/y')).toBeGreaterThan(10);
    } finally {
      await upstream('canary', '/__up');
    }
  });
});
