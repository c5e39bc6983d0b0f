// Retries at the edge, over Workers fetch: a retry goes to an endpoint the request has not
// tried yet; without route retries only a connect failure is retried; a request timeout that
// runs out while retrying is 504; each try tells the upstream its time (x-weft-timeout-ms).
// Ejection, its timing and the rest of the attempts runner are core's, unit-tested on a fake
// clock (core/pipeline/stages/attempts*.test.ts, core/lb/outlier-detector.test.ts).
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { echo, gw, PORTS, pushPolicy, route, upstream } from './gateway-support.ts';

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
    stableAndCanary('plain', 'loadBalancer: { algorithm: round-robin }'),
    ['apiVersion: weft/v1', 'kind: Service', 'metadata: { name: halfdead }', 'spec:', '  endpoints:', '    - { address: 127.0.0.1, port: 1 }', `    - { address: 127.0.0.1, port: ${PORTS.stable} }`].join('\n'),
    // No `retries` anywhere, no Mesh: the built-in default.
    route('plain', 'plain.example.com', '    - matches: [{ path: { prefix: /slow } }]\n      backends: [{ service: plain }]\n      timeout: 300ms\n    - backends: [{ service: plain }]'),
    // The built-in retries and budget: 20 GETs in well under a second, one in flight at a time,
    // about 10 of them retried: within the budget floor's ten seconds' worth.
    route('halfdead', 'halfdead.example.com', '    - backends: [{ service: halfdead }]'),
    route('stingy', 'stingy.example.com', '    - backends: [{ service: halfdead }]\n      retries: { budget: { percent: 0, minRetriesPerSecond: 0 } }'),
    // A backoff far longer than the timeout: a 503 leaves no time for its retry.
    route('deadline', 'deadline.example.com', '    - backends: [{ service: plain }]\n      timeout: 400ms\n      retries: { attempts: 2, retryOn: [gateway-error], backoff: { baseInterval: 10s, maxInterval: 10s } }'),
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

describe('the built-in retries (no route retries, no Mesh default)', () => {
  it('never repeat a GET that reached the upstream: a 503 or a timeout is tried once', async () => {
    expect((await gw('https://plain.example.com/status/503')).status).toBe(503);
    expect((await hits('stable', '/status/503')) + (await hits('canary', '/status/503'))).toBe(1);
    const slow = await gw('https://plain.example.com/slow/2000');
    expect(slow.status).toBe(504);
    expect((await hits('stable', '/slow/2000')) + (await hits('canary', '/slow/2000'))).toBe(1);
  });

  it('retry a connect failure on another endpoint: with one endpoint refusing connections, every GET succeeds', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push((await gw('https://halfdead.example.com/h')).status);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(await hits('stable', '/h')).toBe(20);
  });
});

describe('retry budget refusals', () => {
  it('show in the access log: the connect failure goes to the client, and the line says the budget refused its retry', async () => {
    const log = vi.spyOn(console, 'log');
    try {
      // Round robin over two endpoints: one of two GETs starts at the one refusing connections.
      const statuses = [(await gw('https://stingy.example.com/s')).status, (await gw('https://stingy.example.com/s')).status];
      expect([...statuses].sort()).toEqual([200, 502]);
      const lines = log.mock.calls.map((args) => JSON.parse(String(args[0])) as Record<string, unknown>).filter((l) => l.component === 'gateway.access');
      expect(lines.map((l) => [l.status, l.retries, l.retryRefused]).sort()).toEqual([
        [200, 0, null],
        [502, 0, 'budget'],
      ]);
    } finally {
      log.mockRestore();
    }
  });
});

describe('the request timeout and the tries', () => {
  it('a timeout that runs out while retrying answers 504, not the last 503, and the access log says why', async () => {
    const log = vi.spyOn(console, 'log');
    try {
      const res = await gw('https://deadline.example.com/slow/100/status/503');
      expect(res.status).toBe(504);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('upstream_timeout');
      expect(body.error.message).toMatch(/the route timeout of 400 ms passed while retrying/);
      const lines = log.mock.calls.map((args) => JSON.parse(String(args[0])) as Record<string, unknown>).filter((l) => l.component === 'gateway.access');
      expect(lines.at(-1)).toMatchObject({ host: 'deadline.example.com', status: 504, retryRefused: 'deadline' });
    } finally {
      log.mockRestore();
    }
  });

  it('each try tells the upstream how long it may take (x-weft-timeout-ms); a client’s own value is not believed', async () => {
    const e = await echo(await gw('https://plain.example.com/slow/50', { headers: { 'x-weft-timeout-ms': '5' } }));
    const told = Number(e.headers['x-weft-timeout-ms']);
    expect(told).toBeGreaterThan(0);
    expect(told).toBeLessThanOrEqual(300);
  });
});
