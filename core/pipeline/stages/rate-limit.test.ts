// rate-limit: local and global limits on the request's targets, RateLimit-* headers on every
// answer, 429 with Retry-After, and a store that fails skipped (fail open) and reported.
import { beforeAll, describe, expect, it } from 'vitest';
import type { CounterStore } from '../../ratelimit/counter-store.ts';
import { MemoryCounterStore } from '../../ratelimit/memory-counter-store.ts';
import type { SnapshotRuntime } from '../../runtime/snapshot-runtime.ts';
import { T0, doc, fixture, meshDoc, runAll, runtimeOf } from '../../../test/support/pipeline-fixture.ts';
import type { FixtureOptions } from '../../../test/support/pipeline-fixture.ts';
import { matchEdgeRouteStage, matchMeshRouteStage } from './match-route.ts';
import { normalizePathStage } from './normalize-path.ts';
import { rateLimitStage } from './rate-limit.ts';

let runtime: SnapshotRuntime;
beforeAll(async () => {
  runtime = await runtimeOf(
    [
      meshDoc(),
      doc('Service', 'api', 'port: 8080\nendpoints:\n  - address: 10.0.0.1'),
      doc('Service', 'ratings', 'port: 9080'),
      doc('Route', 'api', 'edge:\n  hosts: [api.example.com]\nrules:\n  - name: all\n    backends: [{ service: api }]'),
      doc('Route', 'open', 'edge:\n  hosts: [open.example.com]\nrules:\n  - name: all\n    backends: [{ service: api }]'),
      doc('Authentication', 'api', `targetRefs: [{ kind: Route, name: api }]\nmode: optional\napiKeys:\n  keys:\n    - { name: acme, sha256: ${'a'.repeat(64)} }`),
      doc(
        'RateLimit',
        'api',
        'targetRefs: [{ kind: Route, name: api }]\nlimits:\n  - { name: per-client-ip, key: client-ip, requests: 2, period: 1m }\n  - { name: per-key, key: api-key, requests: 100, period: 1s, scope: global }',
      ),
      doc('RateLimit', 'ratings', 'targetRefs: [{ kind: Service, name: ratings }]\nlimits:\n  - { name: per-caller, key: principal, requests: 1, period: 1s }'),
    ].join('---\n'),
  );
});

type Stores = { local: CounterStore; global: CounterStore };

async function atEdge(stores: Stores, o: { request?: FixtureOptions['request']; now?: number; apiKey?: string } = {}) {
  const f = fixture({ runtime, counters: stores, request: o.request, ...(o.now !== undefined ? { now: o.now } : {}) });
  expect(await runAll(f.c, [normalizePathStage, matchEdgeRouteStage])).toBeUndefined();
  if (o.apiKey) f.c.user = { requestPrincipal: `apikey/${o.apiKey}`, claims: {}, apiKey: o.apiKey };
  return f;
}

function memory(): Stores {
  return { local: new MemoryCounterStore(), global: new MemoryCounterStore() };
}

describe('rate-limit stage', () => {
  it('passes a request no limit applies to, adding no headers', async () => {
    const f = fixture({ runtime, request: { host: 'open.example.com' } });
    await runAll(f.c, [normalizePathStage, matchEdgeRouteStage]);
    expect(rateLimitStage(f.c)).toBeUndefined();
    expect(f.c.responseHeaders).toEqual([]);
  });

  it('counts local limits synchronously and adds the RateLimit-* headers', async () => {
    const { c } = await atEdge(memory());
    const answer = rateLimitStage(c);
    expect(answer).not.toBeInstanceOf(Promise);
    expect(answer).toBeUndefined();
    expect(c.responseHeaders).toEqual([
      ['ratelimit-limit', '2'],
      ['ratelimit-remaining', '1'],
      ['ratelimit-reset', '30'],
    ]);
  });

  it('answers 429 rate_limited with Retry-After once the bucket is empty, and tells the observer', async () => {
    const stores = memory();
    for (let i = 0; i < 2; i++) expect(rateLimitStage((await atEdge(stores)).c)).toBeUndefined();
    const { c, observer } = await atEdge(stores);
    expect(rateLimitStage(c)).toEqual({ status: 429, code: 'rate_limited', message: 'rate limit per-client-ip of default/api exceeded', headers: {} });
    expect(c.responseHeaders).toEqual([
      ['ratelimit-limit', '2'],
      ['ratelimit-remaining', '0'],
      ['ratelimit-reset', '60'],
      ['retry-after', '30'],
    ]);
    expect(observer.rateLimits).toEqual(['default/api']);
    // another client has its own bucket
    expect(rateLimitStage((await atEdge(stores, { request: { clientIp: '198.51.100.9' } })).c)).toBeUndefined();
  });

  it('counts on the pieces’ clock: the bucket refills as the fake clock moves', async () => {
    const stores = memory();
    for (let i = 0; i < 2; i++) rateLimitStage((await atEdge(stores)).c);
    expect(rateLimitStage((await atEdge(stores, { now: T0 + 29_000 })).c)).toMatchObject({ status: 429 });
    expect(rateLimitStage((await atEdge(stores, { now: T0 + 30_000 })).c)).toBeUndefined();
  });

  it('awaits a remote (global) store, counting the API key the user authenticated with', async () => {
    const takes: string[] = [];
    const global: CounterStore = {
      take: (key, bucket, now) => {
        takes.push(key);
        return Promise.resolve(new MemoryCounterStore().take(key, bucket, now));
      },
    };
    const { c } = await atEdge({ local: new MemoryCounterStore(), global }, { apiKey: 'acme' });
    const answer = rateLimitStage(c);
    expect(answer).toBeInstanceOf(Promise);
    expect(await answer).toBeUndefined();
    expect(takes).toEqual(['default%2Fapi:per-key:api-key:acme']);
    // the headers describe the tightest limit: the client-ip one
    expect(c.responseHeaders).toEqual([
      ['ratelimit-limit', '2'],
      ['ratelimit-remaining', '1'],
      ['ratelimit-reset', '30'],
    ]);
  });

  it('fails open when a store fails, and reports the skipped limit', async () => {
    const error = new Error('durable object unreachable');
    const global: CounterStore = { take: () => Promise.reject(error) };
    const { c, observer } = await atEdge({ local: new MemoryCounterStore(), global }, { apiKey: 'acme' });
    expect(await rateLimitStage(c)).toBeUndefined();
    expect(observer.storeFailures).toEqual([{ policy: 'default/api', limit: 'per-key', error }]);
    expect(observer.rateLimits).toEqual([]);
  });

  it('fails open on a store that throws synchronously, too', async () => {
    const error = new RangeError('bad bucket');
    const local: CounterStore = {
      take: () => {
        throw error;
      },
    };
    const { c, observer } = await atEdge({ local, global: new MemoryCounterStore() });
    expect(rateLimitStage(c)).toBeUndefined();
    expect(observer.storeFailures).toEqual([{ policy: 'default/api', limit: 'per-client-ip', error }]);
    expect(c.responseHeaders).toEqual([]);
  });

  it('inbound: counts per verified caller (principal)', async () => {
    const stores = memory();
    const call = async (peer: string) => {
      const f = fixture({ runtime, plane: 'inbound', service: 'default/ratings', counters: stores, request: { host: 'ratings.default' } });
      await runAll(f.c, [normalizePathStage, matchMeshRouteStage]);
      f.c.peer = peer;
      return { f, answer: rateLimitStage(f.c) };
    };
    expect((await call('spiffe://weft.local/ns/default/sa/reviews')).answer).toBeUndefined();
    const second = await call('spiffe://weft.local/ns/default/sa/reviews');
    expect(second.answer).toMatchObject({ status: 429, code: 'rate_limited', message: 'rate limit per-caller of default/ratings exceeded' });
    expect(second.f.observer.rateLimits).toEqual(['default/ratings']);
    expect((await call('spiffe://weft.local/ns/default/sa/productpage')).answer).toBeUndefined();
  });
});
