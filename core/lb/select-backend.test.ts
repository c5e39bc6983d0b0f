import { describe, expect, it } from 'vitest';
import type { CompiledRule } from '../policy/route/compile.ts';
import type { CompiledService } from '../policy/service/compile.ts';
import { BUILTIN_RETRIES } from '../policy/shared/resilience.ts';
import { endpoint, expectShares, seededRandom } from './picker-conformance.ts';
import { endpointsFor, registeredEndpoint, selectBackend, staticEndpointId } from './select-backend.ts';

const rule = (backends: CompiledRule['backends']): CompiledRule => ({
  name: 'rule-0',
  matches: [],
  backends,
  redirect: null,
  rewrite: null,
  requestHeaders: { set: {}, add: {}, remove: [] },
  responseHeaders: { set: {}, add: {}, remove: [] },
  mirror: null,
  timeoutMs: 15_000,
  retries: BUILTIN_RETRIES,
  fault: null,
  cors: null,
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
  it('splits by weight (canary 90/10)', () => {
    const r = rule([
      { service: 'default/reviews', subset: 'v1', port: null, weight: 90 },
      { service: 'default/reviews', subset: 'v2', port: null, weight: 10 },
    ]);
    const random = seededRandom(42);
    const n = 10_000;
    const counts = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const subset = selectBackend(r, random)?.subset as string;
      counts.set(subset, (counts.get(subset) ?? 0) + 1);
    }
    expectShares(counts, [endpoint('v1', 90), endpoint('v2', 10)], n);
  });

  it('a weight-0 backend is never chosen; a redirect rule has none', () => {
    const r = rule([
      { service: 'default/reviews', subset: 'v1', port: null, weight: 100 },
      { service: 'default/reviews', subset: 'v2', port: null, weight: 0 },
    ]);
    for (const x of [0, 0.5, 0.999]) expect(selectBackend(r, () => x)?.subset).toBe('v1');
    expect(selectBackend(rule([]), () => 0.5)).toBeUndefined();
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
