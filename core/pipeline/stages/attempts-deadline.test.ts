// attempts: what the built-in retry default retries, the deadline across retries (a request
// that runs out of time while retrying is 504, whatever its last try returned), the deadline
// each try tells the next hop (x-weft-timeout-ms) and honours from the previous one, and the
// retries the budget or the deadline refused, as the observer and the log see them.
import { beforeAll, describe, expect, it } from 'vitest';
import { EndpointPools } from '../../lb/endpoint-pools.ts';
import type { EndpointPool } from '../../lb/endpoint-pools.ts';
import type { SnapshotRuntime } from '../../runtime/snapshot-runtime.ts';
import { T0, doc, fixture, meshDoc, runAll, runtimeOf } from '../../../test/support/pipeline-fixture.ts';
import type { FixtureOptions } from '../../../test/support/pipeline-fixture.ts';
import { attemptsStage } from './attempts.ts';
import { matchEdgeRouteStage, matchMeshRouteStage } from './match-route.ts';
import { destinationStage } from './destination.ts';
import { normalizePathStage } from './normalize-path.ts';
import { pickBackendStage } from './pick-backend.ts';

function rule(name: string, extra = ''): string {
  return `  - name: ${name}\n    matches:\n      - path: { prefix: /${name} }\n    backends: [{ service: api }]${extra ? `\n${extra.replace(/^/gm, '    ')}` : ''}`;
}

// No Mesh defaults: the rules without `retries` get the built-in ones.
const POLICY = [
  meshDoc(),
  doc('Service', 'api', 'port: 8080\nendpoints:\n  - address: 10.0.0.1\n  - address: 10.0.0.2\n  - address: 10.0.0.3'),
  doc(
    'Route',
    'api',
    `edge:\n  hosts: [api.example.com]\nmesh:\n  services: [api]\nrules:\n${[
      rule('plain'),
      rule('timed', 'timeout: 2s'),
      rule('tight', 'timeout: 300ms\nretries: { attempts: 3, perTryTimeout: 200ms, retryOn: [gateway-error, connect-failure, reset] }'),
      rule('floor1', 'retries: { attempts: 2, retryOn: [gateway-error, connect-failure], budget: { percent: 20, minRetriesPerSecond: 1 } }'),
      rule('retrying', 'retries: { attempts: 2, retryOn: [gateway-error, connect-failure] }'),
    ].join('\n')}`,
  ),
].join('---\n');

let runtime: SnapshotRuntime;
beforeAll(async () => {
  runtime = await runtimeOf(POLICY);
});

async function routed(path: string, o: Omit<FixtureOptions, 'runtime'> = {}) {
  const f = fixture({ runtime, ...o, request: { path, ...o.request } });
  expect(await runAll(f.c, [normalizePathStage, matchEdgeRouteStage, pickBackendStage])).toBeUndefined();
  f.random.fallback = 0.5;
  return f;
}

describe('attempts stage: the built-in retries (no Mesh default, no route retries)', () => {
  it('retry a connect failure on another endpoint: nothing reached the upstream', async () => {
    const f = await routed('/plain', { tries: [{ fail: 'connect-failure' }, { fail: 'connect-failure' }, 200] });
    expect(await attemptsStage(f.c)).toBeUndefined();
    expect(f.tries.map((t) => [t.endpoint, t.kind])).toEqual([
      ['10.0.0.1:8080', 'failed'],
      ['10.0.0.2:8080', 'failed'],
      ['10.0.0.3:8080', 'committed'],
    ]);
  });

  it('never retry a 503, a reset or a timeout: the upstream may have done the work', async () => {
    const answered = await routed('/plain', { tries: [503] });
    expect(await attemptsStage(answered.c)).toBeUndefined();
    expect(answered.c.delivered).toBe('10.0.0.1:8080 503');
    const reset = await routed('/plain', { tries: [{ fail: 'reset', message: 'socket hang up' }] });
    expect(await attemptsStage(reset.c)).toMatchObject({ status: 502, code: 'upstream_unavailable' });
    const slow = await routed('/timed', { tries: [{ fail: 'timeout', message: 'upstream did not answer within 2000 ms' }] });
    expect(await attemptsStage(slow.c)).toEqual({ status: 504, code: 'upstream_timeout', message: 'default/api: upstream did not answer within 2000 ms', headers: {} });
    expect([answered.tries.length, reset.tries.length, slow.tries.length]).toEqual([1, 1, 1]);
    expect([answered.c.retryRefused, reset.c.retryRefused, slow.c.retryRefused]).toEqual([null, null, null]);
  });

  it('have no per-try timeout: the one try may take the whole route timeout', async () => {
    const f = await routed('/timed');
    await attemptsStage(f.c);
    expect(f.tries[0]?.timeoutMs).toBe(2000);
  });
});

describe('attempts stage: the request timeout expires while retrying', () => {
  it('a retriable 503 with no time left for the backoff and a retry: 504, not the 503', async () => {
    const f = await routed('/tight', { tries: [{ status: 503, takesMs: 295 }] });
    expect(await attemptsStage(f.c)).toEqual({
      status: 504,
      code: 'upstream_timeout',
      message: 'default/api: the route timeout of 300 ms passed while retrying (last try: status 503)',
      headers: {},
    });
    expect(f.tries.map((t) => [t.kind, t.status])).toEqual([['dropped', 503]]);
    expect(f.c.delivered).toBeUndefined();
    expect(f.c.retryRefused).toBe('deadline');
    expect(f.observer.retryRefusals).toEqual([{ service: 'default/api', reason: 'deadline' }]);
  });

  it('a connect failure with no time left to retry it: 504, not 502', async () => {
    const f = await routed('/tight', { tries: [{ fail: 'connect-failure', takesMs: 299 }] });
    expect(await attemptsStage(f.c)).toMatchObject({ status: 504, code: 'upstream_timeout', message: expect.stringContaining('passed while retrying (last try: connect-failure') });
  });

  it('a backoff that sleeps past the deadline: 504 without another try', async () => {
    const f = await routed('/tight', { tries: [{ status: 503, takesMs: 280 }] });
    f.pieces.sleep = (ms) => {
      f.sleeps.push(ms);
      f.clock.now += 50; // the timer fired late
      return Promise.resolve();
    };
    expect(await attemptsStage(f.c)).toMatchObject({ status: 504, code: 'upstream_timeout', message: 'no answer from default/api within the route timeout of 300 ms' });
    expect(f.sleeps).toHaveLength(1);
    expect(f.tries).toHaveLength(1);
  });

  it('with every attempt used in time, the last try’s own answer goes to the client', async () => {
    const f = await routed('/tight', { tries: [503, 503, 503, 503] });
    expect(await attemptsStage(f.c)).toBeUndefined();
    expect(f.c.delivered).toBe('10.0.0.1:8080 503');
    expect(f.tries).toHaveLength(4);
    expect(f.c.retryRefused).toBeNull();
  });
});

describe('attempts stage: the deadline each try tells the next hop (x-weft-timeout-ms)', () => {
  it('is what this try may take: the per-try timeout, cut short by what is left', async () => {
    const f = await routed('/tight', { tries: [{ fail: 'timeout' }, { fail: 'timeout' }] });
    await attemptsStage(f.c);
    expect(f.tries.map((t) => t.timeoutMs)).toEqual([200, 88]);
    expect(f.toldTimeouts).toEqual(['200', '88']);
  });

  it('at the edge, a client’s own header is neither believed nor passed on', async () => {
    const f = await routed('/timed', { request: { headers: { 'x-weft-timeout-ms': '100' } } });
    await attemptsStage(f.c);
    expect(f.tries[0]?.timeoutMs).toBe(2000);
    expect(f.toldTimeouts).toEqual(['2000']);
  });

  it('in a sidecar outbound, the one the app passed on shortens the route timeout (never lengthens it)', async () => {
    const call = async (value: string) => {
      const f = fixture({ runtime, plane: 'outbound', request: { host: 'api', authority: 'api', scheme: 'http', path: '/timed', headers: { 'x-weft-timeout-ms': value } } });
      expect(await runAll(f.c, [destinationStage('default'), normalizePathStage, matchMeshRouteStage, pickBackendStage])).toBeUndefined();
      f.random.fallback = 0.5;
      return { f, answer: await attemptsStage(f.c) };
    };
    const short = await call('700');
    expect(short.f.tries[0]?.timeoutMs).toBe(700);
    expect(short.f.toldTimeouts).toEqual(['700']);
    const long = await call('60000');
    expect(long.f.tries[0]?.timeoutMs).toBe(2000);
    const late = fixture({ runtime, plane: 'outbound', startedAt: T0 - 700, request: { host: 'api', authority: 'api', scheme: 'http', path: '/timed', headers: { 'x-weft-timeout-ms': '700' } } });
    await runAll(late.c, [destinationStage('default'), normalizePathStage, matchMeshRouteStage, pickBackendStage]);
    expect(await attemptsStage(late.c)).toEqual({ status: 504, code: 'upstream_timeout', message: "no answer from default/api within the caller's x-weft-timeout-ms of 700 ms", headers: {} });
    expect(late.tries).toEqual([]);
  });
});

describe('attempts stage: the retry budget at low rates', () => {
  /** One request a second for a minute, every try of it failing to connect, through one proxy's pools. */
  async function aMinuteOfFailures(path: string) {
    const clock = { now: T0 };
    const pools = new EndpointPools({ now: () => clock.now, random: () => 0.5 });
    const tries: number[] = [];
    const refused: string[] = [];
    for (let i = 0; i < 60; i++) {
      const f = await routed(path, { pools, now: clock.now, tries: [{ fail: 'connect-failure' }, { fail: 'connect-failure' }, { fail: 'connect-failure' }] });
      await attemptsStage(f.c);
      tries.push(f.tries.length);
      refused.push(...f.observer.retryRefusals.map((r) => r.reason));
      clock.now += 1000;
    }
    return { tries, refused };
  }

  it('never refuses a failing request’s retries at 1 request/s under the default floor (10 retries/s)', async () => {
    const { tries, refused } = await aMinuteOfFailures('/retrying');
    expect(tries).toEqual(Array.from({ length: 60 }, () => 3));
    expect(refused).toEqual([]);
  });

  it('a floor below what the route asks for refuses the rest once its ten seconds’ reserve is spent, and says so', async () => {
    // 1 retry/s, 10 in reserve; each request wants 2: the reserve lasts 9 requests.
    const { tries, refused } = await aMinuteOfFailures('/floor1');
    expect(tries).toEqual([...Array.from({ length: 9 }, () => 3), ...Array.from({ length: 51 }, () => 2)]);
    expect(refused).toEqual(Array.from({ length: 51 }, () => 'budget'));
  });
});

describe('attempts stage: endpoints', () => {
  it('answers 503 no_healthy_endpoints when the service has endpoints but none can be picked', async () => {
    const f = await routed('/plain');
    const pools = f.pieces.pools;
    const pool = (...args: Parameters<EndpointPools['pool']>): EndpointPool => ({ ...pools.pool(...args), picker: { pick: () => undefined } });
    f.pieces.pools = { pool, breaker: (s) => pools.breaker(s), budget: (id, r) => pools.budget(id, r) } as Pick<EndpointPools, 'pool' | 'breaker' | 'budget'> as EndpointPools;
    expect(await attemptsStage(f.c)).toEqual({ status: 503, code: 'no_healthy_endpoints', message: 'default/api has no healthy endpoint to try', headers: {} });
    expect(f.tries).toEqual([]);
  });
});
