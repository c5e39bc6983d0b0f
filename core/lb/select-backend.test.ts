import { describe, expect, it } from 'vitest';
import type { CompiledRule } from '../policy/route/compile.ts';
import type { CompiledService } from '../policy/service/compile.ts';
import { BUILTIN_RETRIES } from '../policy/shared/resilience.ts';
import { endpoint, expectShares, seededRandom } from '../../test/conformance/endpoint-picker.cases.ts';
import { createPicker } from './picker.ts';
import type { LbAlgorithm } from './picker.ts';
import { endpointsFor, pickEndpoint, registeredEndpoint, selectBackend, staticEndpointId } from './select-backend.ts';

const rule = (backends: CompiledRule['backends']): CompiledRule => ({
  name: 'rule-0',
  matches: [],
  backends,
  redirect: null,
  rewrite: null,
  requestHeaders: { set: {}, add: {}, remove: [] },
  responseHeaders: { set: {}, add: {}, remove: [] },
  mirrors: [],
  timeoutMs: 15_000,
  retries: BUILTIN_RETRIES,
  maxRequestBytes: 1024,
  fault: null,
  cors: null,
  websocket: { idleTimeoutMs: 3_600_000, maxLifetimeMs: 0 },
});

const NO_OPS = { set: {}, add: {}, remove: [] };
const backend = (subset: string, weight: number): CompiledRule['backends'][number] => ({
  service: 'default/reviews',
  subset,
  port: null,
  weight,
  requestHeaders: NO_OPS,
  responseHeaders: NO_OPS,
});

const service: CompiledService = {
  id: 'default/reviews',
  name: 'reviews',
  namespace: 'default',
  port: 8080,
  protocol: 'http',
  subsets: [
    { name: 'v1', labels: { version: 'v1' } },
    { name: 'v2', labels: { version: 'v2' } },
  ],
  endpoints: [
    { address: '10.0.0.1', port: 8080, labels: { version: 'v1' }, weight: 1 },
    { address: '10.0.0.2', port: 8080, labels: { version: 'v2', zone: 'a' }, weight: 3 },
    { address: 'fd00::3', port: 8080, labels: {}, weight: 1 },
  ],
  loadBalancer: { algorithm: 'round-robin' },
  connectionLimits: { maxConnections: 1024, maxPendingRequests: 1024, maxRequestsPerConnection: 0 },
  outlierDetection: null,
};

describe('selectBackend', () => {
  it('splits by relative weight (canary 9:1, no need to sum to 100)', () => {
    const r = rule([backend('v1', 9), backend('v2', 1)]);
    const random = seededRandom(42);
    const n = 10_000;
    const counts = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const subset = selectBackend(r, random)?.subset as string;
      counts.set(subset, (counts.get(subset) ?? 0) + 1);
    }
    expectShares(counts, [endpoint('v1', 90), endpoint('v2', 10)], n);
  });

  it('a weight-0 backend is never chosen; all weights 0 or a redirect rule: none', () => {
    const r = rule([backend('v1', 1), backend('v2', 0)]);
    for (const x of [0, 0.5, 0.999]) expect(selectBackend(r, () => x)?.subset).toBe('v1');
    expect(selectBackend(rule([backend('v1', 0), backend('v2', 0)]), () => 0.5)).toBeUndefined();
    expect(selectBackend(rule([]), () => 0.5)).toBeUndefined();
  });

  it('draws in proportion to large weights as to small ones', () => {
    const r = rule([backend('v1', 1_000_000), backend('v2', 1)]);
    expect(selectBackend(r, () => 0.999_998)?.subset).toBe('v1');
    expect(selectBackend(r, () => 0.999_9995)?.subset).toBe('v2');
  });
});

describe('endpointsFor', () => {
  const registered = [
    registeredEndpoint({ instanceId: 'reviews-7f9c', address: '10.0.1.9', port: 8080, labels: { version: 'v2' } }),
    registeredEndpoint({ instanceId: 'reviews-dup', address: '10.0.0.1', port: 8080, labels: { version: 'v2' } }),
  ];

  it('without a subset: static then registered, a duplicate address kept once (static)', () => {
    expect(endpointsFor(service, null, registered).map((e) => e.id)).toEqual(['10.0.0.1:8080', '10.0.0.2:8080', '[fd00::3]:8080', 'reviews-7f9c']);
  });

  it('a subset keeps endpoints with all its labels', () => {
    expect(endpointsFor(service, 'v2', registered).map((e) => [e.id, e.weight])).toEqual([
      ['10.0.0.2:8080', 3],
      ['reviews-7f9c', 1],
    ]);
    expect(endpointsFor(service, 'v1', []).map((e) => e.id)).toEqual(['10.0.0.1:8080']);
  });

  it('an unknown subset has no endpoints', () => {
    expect(endpointsFor(service, 'v3', registered)).toEqual([]);
  });

  it('static endpoint ids bracket IPv6', () => {
    expect(staticEndpointId('10.1.2.3', 80)).toBe('10.1.2.3:80');
    expect(staticEndpointId('::1', 80)).toBe('[::1]:80');
    expect(staticEndpointId('reviews.internal', 80)).toBe('reviews.internal:80');
  });
});

describe('pickEndpoint: a retry goes to an endpoint not tried yet', () => {
  const set = [endpoint('a'), endpoint('b', 3), endpoint('c'), endpoint('d', 0)];
  const algorithms: LbAlgorithm[] = ['round-robin', 'least-request', 'random', 'consistent-hash'];

  for (const algorithm of algorithms)
    it(`${algorithm}: every retry picks an untried endpoint while one is left, then any`, () => {
      const pool = { picker: createPicker(algorithm, seededRandom(7)), endpoints: set, outliers: undefined };
      for (let request = 0; request < 200; request++) {
        const tried: string[] = [];
        for (let attempt = 0; attempt < 3; attempt++) {
          const ep = pickEndpoint(pool, {}, tried);
          expect(ep?.weight).toBeGreaterThan(0);
          expect(tried).not.toContain(ep?.id);
          tried.push(ep?.id as string);
        }
        // a, b and c all tried: the fourth try may go to any of them, never to weight 0
        expect(['a', 'b', 'c']).toContain(pickEndpoint(pool, {}, tried)?.id);
      }
    });

  it('first tries still follow the weights', () => {
    const pool = { picker: createPicker('random', seededRandom(8)), endpoints: set, outliers: undefined };
    const counts = new Map<string, number>();
    for (let i = 0; i < 10_000; i++) {
      const id = pickEndpoint(pool, {}, [])?.id as string;
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    expectShares(counts, set, 10_000);
  });

  it('a request with a consistent-hash key keeps its endpoint on retries (affinity, as in Istio)', () => {
    const pool = { picker: createPicker('consistent-hash', seededRandom(9)), endpoints: set, outliers: undefined };
    for (let k = 0; k < 50; k++) {
      const first = pickEndpoint(pool, { hashKey: `user-${k}` }, [])?.id as string;
      expect(pickEndpoint(pool, { hashKey: `user-${k}` }, [first])?.id).toBe(first);
    }
  });

  it('one endpoint: retries go to it again', () => {
    const pool = { picker: createPicker('round-robin', seededRandom(10)), endpoints: [endpoint('only')], outliers: undefined };
    expect(pickEndpoint(pool, {}, ['only', 'only'])?.id).toBe('only');
  });
});
