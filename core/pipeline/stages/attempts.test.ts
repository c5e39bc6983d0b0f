// attempts: the endpoint pick, the circuit breaker and the tries through the pieces' byte
// mover: per-try and overall timeouts, retries (conditions, idempotent methods, backoff on
// the fake clock, budget), outlier ejection, mirroring, and what the client is answered.
import { beforeAll, describe, expect, it } from 'vitest';
import { EndpointPools } from '../../lb/endpoint-pools.ts';
import type { TryOutcome } from '../pieces.ts';
import type { SnapshotRuntime } from '../../runtime/snapshot-runtime.ts';
import { T0, deferred, doc, endpointsDoc, fixture, meshDoc, runAll, runtimeOf } from '../../../test/support/pipeline-fixture.ts';
import type { FixtureOptions } from '../../../test/support/pipeline-fixture.ts';
import { attemptsStage } from './attempts.ts';
import { matchEdgeRouteStage } from './match-route.ts';
import { normalizePathStage } from './normalize-path.ts';
import { pickBackendStage } from './pick-backend.ts';

function rule(name: string, service: string, extra = ''): string {
  return `  - name: ${name}\n    matches:\n      - path: { prefix: /${name} }\n    backends: [{ service: ${service} }]${extra ? `\n${extra.replace(/^/gm, '    ')}` : ''}`;
}

// The retry mechanics below run on a Mesh that also retries gateway errors and resets (the
// built-in default retries connect failures only; 'the built-in default' tests it apart).
const POLICY = [
  meshDoc('defaults:\n  retries: { retryOn: [gateway-error, connect-failure, reset] }'),
  doc('Service', 'api', 'port: 8080\nendpoints:\n  - address: 10.0.0.1\n  - address: 10.0.0.2\n  - address: 10.0.0.3'),
  doc('Service', 'shadow', 'port: 8080\nendpoints:\n  - address: 10.9.0.1'),
  doc('Service', 'audit', 'port: 8080\nendpoints:\n  - address: 10.9.1.1'),
  doc('Service', 'narrow', 'port: 8080\nconnectionLimits: { maxConnections: 1, maxPendingRequests: 0 }\nendpoints:\n  - address: 10.0.1.1'),
  doc('Service', 'flaky', 'port: 8080\noutlierDetection: { consecutiveGatewayErrors: 1 }\nendpoints:\n  - address: 10.0.2.1\n  - address: 10.0.2.2'),
  doc('Service', 'sticky', 'port: 8080\nloadBalancer: { algorithm: consistent-hash, hashOn: { header: x-user } }\nendpoints:\n  - address: 10.0.3.1\n  - address: 10.0.3.2'),
  doc('Service', 'lr', 'port: 8080\nloadBalancer: { algorithm: least-request }\nendpoints:\n  - address: 10.0.4.1\n  - address: 10.0.4.2'),
  doc('Service', 'empty', 'port: 8080\nsubsets:\n  - { name: v1, labels: { version: v1 } }'),
  doc(
    'Route',
    'api',
    `edge:\n  hosts: [api.example.com]\nrules:\n${[
      rule('api', 'api', 'timeout: 3s\nretries: { attempts: 2, perTryTimeout: 1s }'),
      rule('tight', 'api', 'timeout: 300ms\nretries: { attempts: 3, perTryTimeout: 200ms }'),
      rule('post', 'api', 'retries: { nonIdempotent: true }'),
      rule('nobudget', 'api', 'retries: { budget: { percent: 0, minRetriesPerSecond: 0 } }'),
      rule('onebudget', 'api', 'retries: { attempts: 2, budget: { percent: 100, minRetriesPerSecond: 0 } }'),
      rule('mirror', 'api', 'mirror: { service: shadow, percent: 50 }'),
      rule('mirrors', 'api', 'timeout: 0s\nmirror:\n  - { service: shadow, percent: 50 }\n  - { service: audit, percent: 20 }'),
      rule('untimed', 'api', 'timeout: 0s\nretries: { attempts: 1, perTryTimeout: 0s, retryOn: [connect-failure] }'),
      rule('pertry', 'api', 'timeout: 0s\nretries: { attempts: 1, perTryTimeout: 400ms, retryOn: [connect-failure] }'),
      rule('narrow', 'narrow'),
      rule('flaky', 'flaky'),
      rule('sticky', 'sticky'),
      rule('lr', 'lr'),
      rule('live', 'api', 'timeout: 2s\nretries: { attempts: 1, perTryTimeout: 500ms, retryOn: [connect-failure, gateway-error] }\nmirror: { service: shadow, percent: 100 }\nwebsocket: { idleTimeout: 30s, maxLifetime: 1h }'),
      `  - name: empty\n    matches:\n      - path: { prefix: /empty }\n    backends: [{ service: empty, subset: v1 }]`,
    ].join('\n')}`,
  ),
].join('---\n');

let runtime: SnapshotRuntime;
beforeAll(async () => {
  runtime = await runtimeOf(POLICY);
});

/** A request routed to its backend (normalize, match, pick), `random` scripted from here on. */
async function routed(path: string, o: Omit<FixtureOptions, 'runtime'> & { method?: string } = {}) {
  const { method, ...options } = o;
  const f = fixture({ runtime, ...options, request: { path, ...(method ? { method } : {}), ...options.request } });
  expect(await runAll(f.c, [normalizePathStage, matchEdgeRouteStage, pickBackendStage])).toBeUndefined();
  f.random.script(o.random ?? []);
  f.random.fallback = 0.5;
  f.random.calls = 0;
  return f;
}

describe('attempts stage: the first try', () => {
  it('delivers a committed answer: one try, within the per-try timeout', async () => {
    const f = await routed('/api');
    expect(await attemptsStage(f.c)).toBeUndefined();
    expect(f.tries).toEqual([{ endpoint: '10.0.0.1:8080', service: 'default/api', registered: false, timeoutMs: 1000, at: T0, kind: 'committed', status: 200 }]);
    expect(f.c.delivered).toBe('10.0.0.1:8080 200');
    expect(f.c.upstream).toBe('10.0.0.1:8080');
    expect(f.c.retries).toBe(0);
    expect(f.sleeps).toEqual([]);
  });

  it('passes a request without a backend (nothing to try)', () => {
    const f = fixture({ runtime });
    expect(attemptsStage(f.c)).toBeUndefined();
    expect(f.bodyCalls).toBe(0);
  });

  it('answers 500 no_endpoints when the backend has none, naming service and subset', async () => {
    const f = await routed('/empty');
    expect(await attemptsStage(f.c)).toEqual({ status: 500, code: 'no_endpoints', message: 'default/empty/v1 has no endpoints', headers: {} });
    expect(f.tries).toEqual([]);
  });

  it('tries registered instances of the subset (the registered endpoints document, even while it loads)', async () => {
    const doc = endpointsDoc({
      'default/empty': [
        { instanceId: 'empty-a', address: '10.1.0.1', port: 15006, labels: { version: 'v1' } },
        { instanceId: 'empty-b', address: '10.1.0.2', port: 15006, labels: { version: 'v2' } },
      ],
    });
    const f = await routed('/empty', { registered: () => Promise.resolve(doc) });
    expect(await attemptsStage(f.c)).toBeUndefined();
    expect(f.tries).toMatchObject([{ endpoint: '10.1.0.1:15006', registered: true, kind: 'committed' }]);
  });
});

describe('attempts stage: retries', () => {
  it('retries a 503 on an endpoint not tried yet, after a backoff on the fake clock', async () => {
    const f = await routed('/api', { tries: { '10.0.0.1:8080': [503] } });
    expect(await attemptsStage(f.c)).toBeUndefined();
    // backoff: full jitter below 25 ms, random 0.5 → 12 ms
    expect(f.sleeps).toEqual([12]);
    expect(f.tries).toEqual([
      { endpoint: '10.0.0.1:8080', service: 'default/api', registered: false, timeoutMs: 1000, at: T0, kind: 'dropped', status: 503 },
      { endpoint: '10.0.0.2:8080', service: 'default/api', registered: false, timeoutMs: 1000, at: T0 + 12, kind: 'committed', status: 200 },
    ]);
    expect(f.c.delivered).toBe('10.0.0.2:8080 200');
    expect(f.c.upstream).toBe('10.0.0.2:8080');
    expect(f.c.retries).toBe(1);
    expect(f.observer.retries).toEqual(['default/api']);
  });

  it('passes on the last try’s answer when every try answers 503', async () => {
    const f = await routed('/api', { tries: [503, 503, 503] });
    expect(await attemptsStage(f.c)).toBeUndefined();
    expect(f.tries.map((t) => `${t.endpoint} ${t.kind}`)).toEqual(['10.0.0.1:8080 dropped', '10.0.0.2:8080 dropped', '10.0.0.3:8080 committed']);
    expect(f.sleeps).toEqual([12, 25]);
    expect(f.c.delivered).toBe('10.0.0.3:8080 503');
    expect(f.c.retries).toBe(2);
  });

  it('does not retry a status retryOn does not name (a 500 under gateway-error)', async () => {
    const f = await routed('/api', { tries: [500] });
    expect(await attemptsStage(f.c)).toBeUndefined();
    expect(f.tries).toHaveLength(1);
    expect(f.c.delivered).toBe('10.0.0.1:8080 500');
  });

  it('answers 502 upstream_unavailable when every try fails, reporting each failure', async () => {
    const f = await routed('/api', { tries: [{ fail: 'reset', message: 'socket hang up' }, { fail: 'connect-failure', message: 'ECONNREFUSED' }, { fail: 'reset', message: 'socket hang up' }] });
    expect(await attemptsStage(f.c)).toEqual({ status: 502, code: 'upstream_unavailable', message: 'default/api is unreachable (reset: socket hang up)', headers: {} });
    expect(f.tries).toHaveLength(3);
    expect(f.observer.upstreamErrors).toEqual([
      { service: 'default/api', kind: 'reset', wrongPeer: false },
      { service: 'default/api', kind: 'connect-failure', wrongPeer: false },
      { service: 'default/api', kind: 'reset', wrongPeer: false },
    ]);
    expect(f.c.retries).toBe(2);
  });

  it('reports a try that reached the wrong mTLS peer', async () => {
    const f = await routed('/api', { tries: [{ fail: 'connect-failure', wrongPeer: true }] });
    await attemptsStage(f.c);
    expect(f.observer.upstreamErrors[0]).toEqual({ service: 'default/api', kind: 'connect-failure', wrongPeer: true });
  });

  it('keeps a consistent-hash request’s retries on its key’s endpoint', async () => {
    const f = await routed('/sticky', { request: { headers: { 'x-user': 'jason' } }, tries: [503, 200] });
    expect(await attemptsStage(f.c)).toBeUndefined();
    expect(f.tries).toHaveLength(2);
    expect(f.tries[1]?.endpoint).toBe(f.tries[0]?.endpoint);
  });
});

describe('attempts stage: timeouts', () => {
  it('bounds each try by the per-try timeout, cut short by the route deadline; then 504 upstream_timeout', async () => {
    const f = await routed('/tight', { tries: [{ fail: 'timeout', message: 'no answer within 200 ms' }, { fail: 'timeout', message: 'no answer within 88 ms' }] });
    expect(await attemptsStage(f.c)).toEqual({
      status: 504,
      code: 'upstream_timeout',
      message: 'default/api: the route timeout of 300 ms passed while retrying (last try: timeout: no answer within 88 ms)',
      headers: {},
    });
    // try 1: 200 ms (per try); 12 ms backoff; try 2: the 88 ms left of the 300 ms route timeout
    expect(f.tries.map((t) => [t.at - T0, t.timeoutMs])).toEqual([
      [0, 200],
      [212, 88],
    ]);
    expect(f.clock.now).toBe(T0 + 300);
    expect(f.observer.upstreamErrors.map((e) => e.kind)).toEqual(['timeout', 'timeout']);
  });

  it('answers 504 upstream_timeout without a try when the route deadline has passed already', async () => {
    const f = await routed('/api', { startedAt: T0 - 3000 });
    expect(await attemptsStage(f.c)).toEqual({ status: 504, code: 'upstream_timeout', message: 'no answer from default/api within the route timeout of 3000 ms', headers: {} });
    expect(f.tries).toEqual([]);
  });

  it('gives the first try only what is left of the route timeout', async () => {
    const f = await routed('/api', { startedAt: T0 - 2500 });
    await attemptsStage(f.c);
    expect(f.tries[0]?.timeoutMs).toBe(500);
  });

  it('timeout 0s and perTryTimeout 0s: no deadline, every try unlimited (timeoutMs 0), however long ago the request came', async () => {
    const f = await routed('/untimed', { startedAt: T0 - 86_400_000, tries: [{ fail: 'connect-failure' }, 200] });
    expect(await attemptsStage(f.c)).toBeUndefined();
    expect(f.tries.map((t) => [t.kind, t.timeoutMs])).toEqual([
      ['failed', 0],
      ['committed', 0],
    ]);
  });

  it('timeout 0s with a per-try timeout: each try has the per-try timeout alone', async () => {
    const f = await routed('/pertry', { startedAt: T0 - 86_400_000, tries: [{ fail: 'connect-failure' }, 200] });
    expect(await attemptsStage(f.c)).toBeUndefined();
    expect(f.tries.map((t) => t.timeoutMs)).toEqual([400, 400]);
  });

  it('timeout 0s on a gRPC call: no grpc-timeout upstream unless the caller sent one, which then bounds the call', async () => {
    const grpc = { 'content-type': 'application/grpc' };
    const free = await routed('/untimed', { method: 'POST', request: { path: '/untimed', headers: grpc } });
    await attemptsStage(free.c);
    expect(free.tries[0]).toMatchObject({ timeoutMs: 0 });
    expect(free.tries[0]?.grpcTimeout).toBeUndefined();
    const bounded = await routed('/untimed', { method: 'POST', request: { path: '/untimed', headers: { ...grpc, 'grpc-timeout': '250m' } } });
    await attemptsStage(bounded.c);
    expect(bounded.tries[0]).toMatchObject({ timeoutMs: 250, grpcTimeout: '250m' });
  });
});

describe('attempts stage: what may not be retried', () => {
  it('a budget of 100% lets one request use all its attempts on 503s, as on failures', async () => {
    const f = await routed('/onebudget', { tries: [503, 503, 200] });
    expect(await attemptsStage(f.c)).toBeUndefined();
    expect(f.tries.map((t) => t.kind)).toEqual(['dropped', 'dropped', 'committed']);
    expect(f.c.delivered).toBe('10.0.0.3:8080 200');
  });

  it('does not retry a POST that answered 503: the answer goes to the client', async () => {
    const f = await routed('/api', { method: 'POST', tries: [503] });
    expect(await attemptsStage(f.c)).toBeUndefined();
    expect(f.tries).toHaveLength(1);
    expect(f.c.delivered).toBe('10.0.0.1:8080 503');
  });

  it('does not retry a POST whose connection was reset: 502', async () => {
    const f = await routed('/api', { method: 'POST', tries: [{ fail: 'reset', message: 'socket hang up' }] });
    expect(await attemptsStage(f.c)).toEqual({ status: 502, code: 'upstream_unavailable', message: 'default/api is unreachable (reset: socket hang up)', headers: {} });
    expect(f.tries).toHaveLength(1);
    expect(f.c.retries).toBe(0);
  });

  it('retries a POST that never left (connect failure)', async () => {
    const f = await routed('/api', { method: 'POST', tries: [{ fail: 'connect-failure' }] });
    expect(await attemptsStage(f.c)).toBeUndefined();
    expect(f.tries.map((t) => t.kind)).toEqual(['failed', 'committed']);
  });

  it('retries a POST on a rule that allows non-idempotent retries', async () => {
    const f = await routed('/post', { method: 'POST', tries: [503] });
    expect(await attemptsStage(f.c)).toBeUndefined();
    expect(f.tries.map((t) => t.kind)).toEqual(['dropped', 'committed']);
  });

  it('never retries a body that cannot be replayed', async () => {
    const failed = await routed('/api', { replayable: false, tries: [{ fail: 'connect-failure', message: 'ECONNREFUSED' }] });
    expect(await attemptsStage(failed.c)).toEqual({ status: 502, code: 'upstream_unavailable', message: 'default/api is unreachable (connect-failure: ECONNREFUSED)', headers: {} });
    expect(failed.tries).toHaveLength(1);
    const answered = await routed('/api', { replayable: () => Promise.resolve(false), tries: [503] });
    expect(await attemptsStage(answered.c)).toBeUndefined();
    expect(answered.tries).toHaveLength(1);
    expect(answered.c.delivered).toBe('10.0.0.1:8080 503');
  });

  it('stops when the retry budget is spent: the failure or the answer goes to the client', async () => {
    const failed = await routed('/nobudget', { tries: [{ fail: 'reset', message: 'socket hang up' }] });
    expect(await attemptsStage(failed.c)).toMatchObject({ status: 502, code: 'upstream_unavailable' });
    expect(failed.tries).toHaveLength(1);
    expect(failed.observer.retries).toEqual([]);
    const answered = await routed('/nobudget', { tries: [503] });
    expect(await attemptsStage(answered.c)).toBeUndefined();
    expect(answered.c.delivered).toBe('10.0.0.1:8080 503');
  });

  it('a budget of 100% lets one request use all its attempts on failures', async () => {
    const f = await routed('/onebudget', { tries: [{ fail: 'connect-failure' }, { fail: 'connect-failure' }, 200] });
    expect(await attemptsStage(f.c)).toBeUndefined();
    expect(f.tries.map((t) => t.kind)).toEqual(['failed', 'failed', 'committed']);
  });

  it('does not retry a request whose client went away', async () => {
    const f = await routed('/api', { tries: ['abandon'] });
    expect(await attemptsStage(f.c)).toBeUndefined();
    expect(f.tries).toHaveLength(1);
    expect(f.c.reason).toBe('client_closed');
    expect(f.c.delivered).toBeUndefined();
    expect(f.observer.retries).toEqual([]);
  });
});

describe('attempts stage: a request body over the limit', () => {
  it('answers 413 body_too_large when a try ends oversize: no retry, and not held against the endpoint', async () => {
    const pools = new EndpointPools({ now: () => T0, random: () => 0.5 });
    const oversize = () => Promise.resolve<TryOutcome<string>>({ kind: 'oversize', limit: 1024 });
    const f = await routed('/flaky', { pools, tries: [oversize] });
    expect(await attemptsStage(f.c)).toEqual({
      status: 413,
      code: 'body_too_large',
      message: "the request body is larger than this route's limit of 1024 bytes (maxRequestBytes)",
      headers: {},
    });
    expect(f.tries.map((t) => t.kind)).toEqual(['oversize']);
    expect(f.observer.retries).toEqual([]);
    expect(f.observer.upstreamErrors).toEqual([]);
    expect(f.observer.ejections).toEqual([]);
  });
});

describe('attempts stage: circuit breaker and outliers', () => {
  it('answers 503 circuit_open over the connection limit, tells the observer, and admits again once released', async () => {
    const pools = new EndpointPools({ now: () => T0, random: () => 0.5 });
    const held = deferred<TryOutcome<string>>();
    const first = await routed('/narrow', { pools, tries: [() => held.promise] });
    const inFlight = attemptsStage(first.c);

    const second = await routed('/narrow', { pools });
    expect(await attemptsStage(second.c)).toEqual({ status: 503, code: 'circuit_open', message: 'default/narrow is over its maxConnections limit; try again later', headers: {} });
    expect(second.observer.circuitOpens).toEqual([{ service: 'default/narrow', limit: 'maxConnections' }]);
    expect(second.tries).toEqual([]);

    held.resolve({ kind: 'committed', status: 200, value: 'first' });
    expect(await inFlight).toBeUndefined();
    expect(first.c.delivered).toBe('first');
    const third = await routed('/narrow', { pools });
    expect(await attemptsStage(third.c)).toBeUndefined();
    expect(third.tries).toHaveLength(1);
  });

  it('counts a try in flight for least-request: the next requests go to the idle endpoint', async () => {
    const pools = new EndpointPools({ now: () => T0, random: () => 0.5 });
    const held = deferred<TryOutcome<string>>();
    const slow = await routed('/lr', { pools, tries: [() => held.promise] });
    const inFlight = attemptsStage(slow.c);
    const busy = slow.tries[0]?.endpoint;
    for (let i = 0; i < 20; i++) {
      const next = await routed('/lr', { pools, random: [i / 20, ((i * 7) % 20) / 20] });
      expect(await attemptsStage(next.c)).toBeUndefined();
      expect(next.tries[0]?.endpoint).not.toBe(busy);
    }
    held.resolve({ kind: 'committed', status: 200, value: 'slow' });
    expect(await inFlight).toBeUndefined();
    const service = runtime.services.get('default/lr');
    expect(service && pools.pool(runtime.version, service, null, undefined).activeRequests(busy as string)).toBe(0);
  });

  it('reports an endpoint ejected by outlier detection; later requests avoid it', async () => {
    const pools = new EndpointPools({ now: () => T0, random: () => 0.5 });
    const first = await routed('/flaky', { pools, tries: { '10.0.2.1:8080': [503] } });
    expect(await attemptsStage(first.c)).toBeUndefined();
    expect(first.observer.ejections).toEqual([{ service: 'default/flaky', endpoint: '10.0.2.1:8080' }]);
    expect(first.c.delivered).toBe('10.0.2.2:8080 200');

    const next = await routed('/flaky', { pools });
    await attemptsStage(next.c);
    await attemptsStage((await routed('/flaky', { pools })).c);
    expect(next.tries.map((t) => t.endpoint)).toEqual(['10.0.2.2:8080']);
    expect(next.observer.ejections).toEqual([]);
  });
});

describe('attempts stage: outliers by gRPC status', () => {
  it('counts a trailers-only UNAVAILABLE (HTTP 200) as the 503 it stands for: the instance is ejected', async () => {
    const pools = new EndpointPools({ now: () => T0, random: () => 0.5 });
    const grpc = { headers: { 'content-type': 'application/grpc' } };
    const first = await routed('/flaky', { pools, method: 'POST', request: { path: '/flaky', ...grpc }, tries: { '10.0.2.1:8080': [{ status: 200, grpcStatus: 14 }] } });
    await attemptsStage(first.c);
    expect(first.observer.ejections).toEqual([{ service: 'default/flaky', endpoint: '10.0.2.1:8080' }]);
  });

  it('does not count an OK or an application error (FAILED_PRECONDITION) against the instance', async () => {
    const pools = new EndpointPools({ now: () => T0, random: () => 0.5 });
    const grpc = { headers: { 'content-type': 'application/grpc' } };
    const first = await routed('/flaky', { pools, method: 'POST', request: { path: '/flaky', ...grpc }, tries: { '10.0.2.1:8080': [{ status: 200, grpcStatus: 9 }] } });
    await attemptsStage(first.c);
    expect(first.observer.ejections).toEqual([]);
  });
});

describe('attempts stage: mirror', () => {
  it('mirrors the share of requests drawn, to the mirror service, before the tries', async () => {
    const f = await routed('/mirror', { random: [0.49] });
    expect(await attemptsStage(f.c)).toBeUndefined();
    expect(f.mirrors).toEqual([{ service: 'default/shadow', endpoint: '10.9.0.1:8080', registered: false, timeoutMs: 15_000 }]);
    expect(f.tries).toHaveLength(1);
  });

  it('draws each mirror of a list on its own percent', async () => {
    const both = await routed('/mirrors', { random: [0.49, 0.19] });
    await attemptsStage(both.c);
    // The rule's timeout is 0s (none): the copies wait without a limit too.
    expect(both.mirrors).toEqual([
      { service: 'default/shadow', endpoint: '10.9.0.1:8080', registered: false, timeoutMs: 0 },
      { service: 'default/audit', endpoint: '10.9.1.1:8080', registered: false, timeoutMs: 0 },
    ]);
    const second = await routed('/mirrors', { random: [0.5, 0.19] });
    await attemptsStage(second.c);
    expect(second.mirrors.map((m) => m.service)).toEqual(['default/audit']);
    const first = await routed('/mirrors', { random: [0.49, 0.2] });
    await attemptsStage(first.c);
    expect(first.mirrors.map((m) => m.service)).toEqual(['default/shadow']);
  });

  it('does not mirror the other requests', async () => {
    const f = await routed('/mirror', { random: [0.5] });
    await attemptsStage(f.c);
    expect(f.mirrors).toEqual([]);
  });

  it('never mirrors a body that cannot be replayed', async () => {
    const f = await routed('/mirror', { random: [0], replayable: false });
    await attemptsStage(f.c);
    expect(f.mirrors).toEqual([]);
    expect(f.random.calls).toBe(0);
  });
});

describe('attempts stage: WebSocket handshakes', () => {
  const handshake = { headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13' } };

  it('opens the upgrade through tryUpgrade with the rule’s limits: no body read, no mirror, the 101 delivered', async () => {
    const f = await routed('/live', { request: handshake, random: [0], tries: [101] });
    expect(f.c.upgrade).toBe('websocket');
    expect(await attemptsStage(f.c)).toBeUndefined();
    expect(f.tries).toEqual([
      { endpoint: '10.0.0.1:8080', service: 'default/api', registered: false, timeoutMs: 500, at: T0, kind: 'committed', status: 101, tunnel: { idleTimeoutMs: 30_000, maxLifetimeMs: 3_600_000 } },
    ]);
    expect(f.c.delivered).toBe('10.0.0.1:8080 101');
    expect(f.bodyCalls).toBe(0);
    expect(f.mirrors).toEqual([]);
  });

  it('retries a handshake that could not connect on another endpoint; a refusing upstream’s answer goes to the client', async () => {
    const f = await routed('/live', { request: handshake, tries: [{ fail: 'connect-failure' }, 403] });
    expect(await attemptsStage(f.c)).toBeUndefined();
    expect(f.tries.map((t) => `${t.endpoint} ${t.kind} ${t.status ?? ''}`.trim())).toEqual(['10.0.0.1:8080 failed', '10.0.0.2:8080 committed 403']);
    expect(f.c.delivered).toBe('10.0.0.2:8080 403');
  });

  it('gives a handshake on a rule without limits the defaults: an hour idle, no lifetime limit', async () => {
    const f = await routed('/api', { request: handshake, tries: [101] });
    await attemptsStage(f.c);
    expect(f.tries[0]?.tunnel).toEqual({ idleTimeoutMs: 3_600_000, maxLifetimeMs: 0 });
  });

  it('tries an h2c upgrade request as an ordinary request', async () => {
    const f = await routed('/live', { request: { headers: { connection: 'Upgrade, HTTP2-Settings', upgrade: 'h2c' } }, random: [0] });
    expect(f.c.upgrade).toBeNull();
    await attemptsStage(f.c);
    expect(f.tries[0]?.tunnel).toBeUndefined();
    expect(f.bodyCalls).toBe(1);
    expect(f.mirrors).toHaveLength(1);
  });
});
