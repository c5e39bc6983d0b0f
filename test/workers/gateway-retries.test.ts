// Retries at the edge, over Workers fetch: a retry goes to an endpoint the request has not
// tried yet. Ejection, its timing and the rest of the attempts runner are core's, unit-tested
// on a fake clock (core/pipeline/stages/attempts.test.ts, core/lb/outlier-detector.test.ts).
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { gw, PORTS, pushPolicy, route, upstream } from './gateway-support.ts';

/** A Service whose two endpoints are the stable and canary upstreams; `spec` lines follow. */
function stableAndCanary(name: string, ...spec: string[]): string {
  const endpoints = [`    - { address: 127.0.0.1, port: ${PORTS.stable} }`, `    - { address: 127.0.0.1, port: ${PORTS.canary} }`];
  return ['apiVersion: weft/v1', 'kind: Service', `metadata: { name: ${name} }`, 'spec:', '  endpoints:', ...endpoints, ...spec.map((l) => `  ${l}`)].join('\n');
}

beforeAll(async () => {
  await pushPolicy(
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

describe('retries at the edge', () => {
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
