// attempts for gRPC calls: the caller's grpc-timeout capped by the route timeout, the time
// left sent upstream as grpc-timeout on every try, DEADLINE_EXCEEDED-bound 504s, and retries
// on a trailers-only gRPC status although every gRPC call is a POST.
import { beforeAll, describe, expect, it } from 'vitest';
import type { SnapshotRuntime } from '../../runtime/snapshot-runtime.ts';
import { T0, doc, fixture, meshDoc, runAll, runtimeOf } from '../../../test/support/pipeline-fixture.ts';
import type { FixtureOptions } from '../../../test/support/pipeline-fixture.ts';
import { attemptsStage } from './attempts.ts';
import { matchEdgeRouteStage } from './match-route.ts';
import { normalizePathStage } from './normalize-path.ts';
import { pickBackendStage } from './pick-backend.ts';

const POLICY = [
  meshDoc(),
  doc('Service', 'greeter', 'port: 50051\nendpoints:\n  - address: 10.0.0.1\n  - address: 10.0.0.2\n  - address: 10.0.0.3'),
  doc(
    'Route',
    'greeter',
    `edge:
  hosts: [api.example.com]
rules:
  - name: greeter
    matches: [{ grpc: { service: helloworld.Greeter } }]
    backends: [{ service: greeter }]
    timeout: 3s
    retries: { attempts: 2, perTryTimeout: 1s, retryOn: [unavailable, 5xx] }
  - name: plain
    matches: [{ path: { prefix: /plain } }]
    backends: [{ service: greeter }]
    timeout: 3s
    retries: { attempts: 2, retryOn: [unavailable, 5xx] }`,
  ),
].join('---\n');

let runtime: SnapshotRuntime;
beforeAll(async () => {
  runtime = await runtimeOf(POLICY);
});

const GRPC = { 'content-type': 'application/grpc' };

async function call(o: Omit<FixtureOptions, 'runtime'> & { headers?: Record<string, string>; path?: string } = {}) {
  const { headers = GRPC, path = '/helloworld.Greeter/SayHello', ...options } = o;
  const f = fixture({ runtime, ...options, request: { method: 'POST', path, headers } });
  expect(await runAll(f.c, [normalizePathStage, matchEdgeRouteStage, pickBackendStage])).toBeUndefined();
  f.random.fallback = 0.5;
  return f;
}

describe('attempts for gRPC calls: deadlines', () => {
  it('tells the upstream the route timeout as grpc-timeout when the caller sends none', async () => {
    const f = await call();
    expect(await attemptsStage(f.c)).toBeUndefined();
    expect(f.tries).toMatchObject([{ timeoutMs: 1000, grpcTimeout: '3000m', kind: 'committed' }]);
  });

  it('honours a shorter grpc-timeout: each try and the upstream’s deadline are what is left of it', async () => {
    const f = await call({ headers: { ...GRPC, 'grpc-timeout': '1500m' }, tries: [{ status: 200, grpcStatus: 14, takesMs: 400 }] });
    expect(await attemptsStage(f.c)).toBeUndefined();
    // try 1 at 0 (1 s per try, 1.5 s left); 12 ms backoff; try 2 at 412 ms: 1 088 ms left
    expect(f.tries.map((t) => [t.at - T0, t.timeoutMs, t.grpcTimeout, t.kind])).toEqual([
      [0, 1000, '1500m', 'dropped'],
      [412, 1000, '1088m', 'committed'],
    ]);
  });

  it('caps a longer grpc-timeout at the route timeout', async () => {
    const f = await call({ headers: { ...GRPC, 'grpc-timeout': '1M' } });
    await attemptsStage(f.c);
    expect(f.tries[0]?.grpcTimeout).toBe('3000m');
  });

  it('answers upstream_timeout (DEADLINE_EXCEEDED to the caller) once the call’s deadline has passed, naming it', async () => {
    const f = await call({ headers: { ...GRPC, 'grpc-timeout': '200m' }, startedAt: T0 - 200 });
    expect(await attemptsStage(f.c)).toEqual({
      status: 504,
      code: 'upstream_timeout',
      message: "no answer from default/greeter within the caller's grpc-timeout of 200 ms",
      headers: {},
    });
    expect(f.tries).toEqual([]);
  });

  it('bounds the try by a short grpc-timeout and answers upstream_timeout when it runs out', async () => {
    const f = await call({ headers: { ...GRPC, 'grpc-timeout': '250m' }, tries: [{ fail: 'timeout', message: 'no answer within 250 ms' }] });
    expect(await attemptsStage(f.c)).toMatchObject({ status: 504, code: 'upstream_timeout' });
    expect(f.tries).toMatchObject([{ timeoutMs: 250 }]);
  });

  it('ignores a malformed grpc-timeout: the route timeout holds', async () => {
    const f = await call({ headers: { ...GRPC, 'grpc-timeout': '10 seconds' } });
    await attemptsStage(f.c);
    expect(f.tries).toMatchObject([{ timeoutMs: 1000, grpcTimeout: '3000m' }]);
  });

  it('leaves grpc-timeout alone on a request that is not gRPC', async () => {
    const f = await call({ path: '/plain', headers: { 'content-type': 'application/json', 'grpc-timeout': '1m' } });
    await attemptsStage(f.c);
    expect(f.tries[0]?.timeoutMs).toBe(3000);
    expect(f.tries[0]?.grpcTimeout).toBe('1m');
  });
});

describe('attempts for gRPC calls: retries', () => {
  it('never retries a POST on 5xx but does retry a gRPC call on unavailable', async () => {
    const post = await call({ path: '/plain', headers: { 'content-type': 'application/json' }, tries: [503] });
    expect(await attemptsStage(post.c)).toBeUndefined();
    expect(post.tries.map((t) => t.kind)).toEqual(['committed']);

    const grpc = await call({ tries: [{ status: 200, grpcStatus: 14 }, 200] });
    expect(await attemptsStage(grpc.c)).toBeUndefined();
    expect(grpc.tries.map((t) => `${t.endpoint} ${t.kind}`)).toEqual(['10.0.0.1:50051 dropped', '10.0.0.2:50051 committed']);
    expect(grpc.c.retries).toBe(1);
    expect(grpc.observer.retries).toEqual(['default/greeter']);
  });

  it('retries a gRPC-Web call on unavailable too', async () => {
    const f = await call({ headers: { 'content-type': 'application/grpc-web+proto' }, tries: [{ status: 200, grpcStatus: 14 }] });
    expect(await attemptsStage(f.c)).toBeUndefined();
    expect(f.tries.map((t) => t.kind)).toEqual(['dropped', 'committed']);
  });

  it('passes on a gRPC status the conditions do not name, and the last try’s status', async () => {
    const denied = await call({ tries: [{ status: 200, grpcStatus: 7 }] });
    expect(await attemptsStage(denied.c)).toBeUndefined();
    expect(denied.tries.map((t) => t.kind)).toEqual(['committed']);

    const down = await call({ tries: [{ status: 200, grpcStatus: 14 }, { status: 200, grpcStatus: 14 }, { status: 200, grpcStatus: 14 }] });
    expect(await attemptsStage(down.c)).toBeUndefined();
    expect(down.tries.map((t) => t.kind)).toEqual(['dropped', 'dropped', 'committed']);
    expect(down.c.delivered).toBe('10.0.0.3:50051 200');
  });

  it('does not retry a gRPC call on an HTTP 5xx (a POST under the methods rule) nor a reset one', async () => {
    const f = await call({ tries: [503] });
    expect(await attemptsStage(f.c)).toBeUndefined();
    expect(f.tries.map((t) => t.kind)).toEqual(['committed']);
    const reset = await call({ tries: [{ fail: 'reset' }] });
    expect(await attemptsStage(reset.c)).toMatchObject({ status: 502, code: 'upstream_unavailable' });
    expect(reset.tries).toHaveLength(1);
  });
});
