// match-route: the rule that governs a request. Edge: by host, 404 without one, a CORS
// preflight matched as the method it announces. Mesh: by the service's mesh host; outbound
// falls back to the service's direct rule, inbound to the Service's own policies.
import { beforeAll, describe, expect, it } from 'vitest';
import type { SnapshotRuntime } from '../../runtime/snapshot-runtime.ts';
import type { Answer } from '../answer.ts';
import { apiPolicy, doc, fixture, meshDoc, runAll, runtimeOf } from '../../../test/support/pipeline-fixture.ts';
import type { FixtureOptions } from '../../../test/support/pipeline-fixture.ts';
import { matchEdgeRouteStage, matchMeshRouteStage } from './match-route.ts';
import { normalizePathStage } from './normalize-path.ts';

const EDGE = apiPolicy(`  - name: users
    matches:
      - path: { template: "/v1/users/{id}" }
        methods: [GET]
    backends: [{ service: api }]
  - name: v1
    matches:
      - path: { prefix: /v1/ }
    backends: [{ service: api }]
  - name: orders
    matches:
      - path: { exact: /orders }
        methods: [POST]
    backends: [{ service: api }]
    cors:
      allowOrigins: ["https://app.example.com"]
      allowMethods: [POST]`);

const MESH = [
  meshDoc('defaults:\n  timeout: 7s\n  retries:\n    attempts: 1\n    perTryTimeout: 9s'),
  doc('Service', 'reviews', 'port: 9080\nsubsets:\n  - { name: v1, labels: { version: v1 } }\n  - { name: v2, labels: { version: v2 } }'),
  doc('Service', 'ratings', 'port: 9080'),
  doc(
    'Route',
    'reviews',
    `mesh:
  services: [reviews]
rules:
  - name: jason
    matches:
      - path: { prefix: /reviews }
        headers:
          - { name: end-user, exact: jason }
    backends: [{ service: reviews, subset: v2 }]
  - name: default
    matches:
      - path: { prefix: /reviews }
    backends: [{ service: reviews, subset: v1 }]`,
  ),
  doc('Service', 'greeter', 'port: 50051\nsubsets:\n  - { name: v1, labels: { version: v1 } }\n  - { name: v2, labels: { version: v2 } }'),
  doc(
    'Route',
    'greeter',
    `mesh:
  services: [greeter]
rules:
  - name: say-hello
    matches:
      - grpc: { service: helloworld.Greeter, method: SayHello }
    backends: [{ service: greeter, subset: v2 }]
  - name: greeter
    matches:
      - grpc: { service: helloworld.Greeter }
    backends: [{ service: greeter, subset: v1 }]`,
  ),
].join('---\n');

let edge: SnapshotRuntime;
let mesh: SnapshotRuntime;
beforeAll(async () => {
  [edge, mesh] = await Promise.all([runtimeOf(EDGE), runtimeOf(MESH)]);
});

async function edgeMatch(request: FixtureOptions['request']) {
  const f = fixture({ runtime: edge, request });
  return { ...f, answer: await runAll(f.c, [normalizePathStage, matchEdgeRouteStage]) };
}

describe('match-route stage at the edge', () => {
  it('matches by host and path: rule, params, route label and the Route target', async () => {
    const { c, answer } = await edgeMatch({ path: '/v1/users/42' });
    expect(answer).toBeUndefined();
    expect(c.match?.rule.name).toBe('users');
    expect(c.match?.route?.id).toBe('default/api');
    expect(c.match?.params).toEqual({ id: '42' });
    expect(c.match?.matchedPrefix).toBeNull();
    expect(c.routeLabel).toBe('default/api#users');
    expect(c.targets).toEqual([{ kind: 'Route', id: 'default/api' }]);
  });

  it('keeps the prefix a prefix rule matched on (for a prefix rewrite)', async () => {
    const { c } = await edgeMatch({ path: '/v1/things/1' });
    expect(c.match?.rule.name).toBe('v1');
    expect(c.match?.matchedPrefix).toBe('/v1');
  });

  it('matches the normalized path', async () => {
    const { c } = await edgeMatch({ path: '/x/../v1/users/%37' });
    expect(c.match?.rule.name).toBe('users');
    expect(c.match?.params).toEqual({ id: '7' });
  });

  it('answers 404 no_route for a host no route serves, naming method, host and path', async () => {
    const { c, answer } = await edgeMatch({ host: 'other.example.com', path: '/v1/users/42' });
    expect(answer).toEqual({ status: 404, code: 'no_route', message: 'no route for GET other.example.com/v1/users/42', headers: {} });
    expect(c.match).toBeUndefined();
    expect(c.routeLabel).toBeNull();
    expect(c.targets).toEqual([]);
  });

  it('answers 404 when no rule of the host matches the method', async () => {
    const { answer } = await edgeMatch({ method: 'DELETE', path: '/orders' });
    expect(answer).toMatchObject({ status: 404, code: 'no_route', message: 'no route for DELETE api.example.com/orders' });
  });

  it('matches a CORS preflight as the method it announces', async () => {
    const { c, answer } = await edgeMatch({
      method: 'OPTIONS',
      path: '/orders',
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'post' },
    });
    expect(answer).toBeUndefined();
    expect(c.match?.rule.name).toBe('orders');
  });

  it('matches an OPTIONS without Origin as OPTIONS (not a preflight)', async () => {
    const { answer } = await edgeMatch({ method: 'OPTIONS', path: '/orders', headers: { 'access-control-request-method': 'POST' } });
    expect(answer).toMatchObject({ status: 404, code: 'no_route', message: 'no route for OPTIONS api.example.com/orders' });
  });
});

describe('match-route stage in the mesh', () => {
  it('outbound: the mesh route rule sets match, route label and the Route target', () => {
    const { c } = fixture({ runtime: mesh, plane: 'outbound', request: { host: 'reviews', path: '/reviews/1', headers: { 'end-user': 'jason' } } });
    c.service = 'default/reviews';
    c.path = '/reviews/1';
    expect(matchMeshRouteStage(c)).toBeUndefined();
    expect(c.match?.rule.name).toBe('jason');
    expect(c.match?.rule.backends).toEqual([{ service: 'default/reviews', subset: 'v2', port: null, weight: 1, requestHeaders: { set: {}, add: {}, remove: [] }, responseHeaders: { set: {}, add: {}, remove: [] } }]);
    expect(c.routeLabel).toBe('default/reviews#jason');
    expect(c.targets).toEqual([{ kind: 'Route', id: 'default/reviews' }]);
  });

  it('outbound: a service no rule matches goes by the direct rule under the Mesh defaults', () => {
    const { c } = fixture({ runtime: mesh, plane: 'outbound', request: { host: 'ratings', path: '/ratings/1' } });
    c.service = 'default/ratings';
    c.path = '/ratings/1';
    expect(matchMeshRouteStage(c)).toBeUndefined();
    expect(c.match?.route).toBeNull();
    expect(c.match?.params).toEqual({});
    expect(c.match?.matchedPrefix).toBeNull();
    const rule = c.match?.rule;
    expect(rule?.name).toBe('direct');
    expect(rule?.backends).toEqual([{ service: 'default/ratings', subset: null, port: null, weight: 1, requestHeaders: { set: {}, add: {}, remove: [] }, responseHeaders: { set: {}, add: {}, remove: [] } }]);
    expect(rule?.timeoutMs).toBe(7000);
    expect(rule?.retries.attempts).toBe(1);
    // the Mesh's per-try timeout (9s) is cut to its overall timeout (7s)
    expect(rule?.retries.perTryTimeoutMs).toBe(7000);
    expect(c.routeLabel).toBeNull();
    expect(c.targets).toEqual([]);
  });

  it('outbound: a call no rule of the service’s routes matches is a 404, as with a GAMMA route', () => {
    const { c } = fixture({ runtime: mesh, plane: 'outbound', request: { host: 'reviews', path: '/other' } });
    c.service = 'default/reviews';
    c.path = '/other';
    expect(matchMeshRouteStage(c)).toMatchObject({ status: 404, code: 'no_route' });
    expect(c.match).toBeUndefined();
  });

  it('outbound: a grpc match routes by service and method, the method-less one takes the service’s other methods, others are refused', () => {
    const ruleFor = (path: string) => {
      const { c } = fixture({ runtime: mesh, plane: 'outbound', request: { method: 'POST', host: 'greeter', path, headers: { 'content-type': 'application/grpc' } } });
      c.service = 'default/greeter';
      c.path = path;
      const answer = matchMeshRouteStage(c) as Answer | undefined;
      return answer?.code ?? c.match?.rule.name;
    };
    expect(ruleFor('/helloworld.Greeter/SayHello')).toBe('say-hello');
    expect(ruleFor('/helloworld.Greeter/SayHelloAgain')).toBe('greeter');
    // Another service's methods are not the greeter route's: refused (UNIMPLEMENTED to a gRPC caller).
    expect(ruleFor('/helloworld.GreeterV2/SayHello')).toBe('no_route');
    expect(ruleFor('/grpc.health.v1.Health/Check')).toBe('no_route');
  });

  it('inbound: a matched rule adds its Route to the Service target', () => {
    const { c } = fixture({ runtime: mesh, plane: 'inbound', service: 'default/reviews', request: { host: 'reviews.default', path: '/reviews/1' } });
    c.path = '/reviews/1';
    expect(matchMeshRouteStage(c)).toBeUndefined();
    expect(c.match?.rule.name).toBe('default');
    expect(c.routeLabel).toBe('default/reviews#default');
    expect(c.targets).toEqual([
      { kind: 'Service', id: 'default/reviews' },
      { kind: 'Route', id: 'default/reviews' },
    ]);
  });

  it('inbound: an unmatched request is governed by the Service target only (no direct rule)', () => {
    const { c } = fixture({ runtime: mesh, plane: 'inbound', service: 'default/ratings', request: { host: 'ratings.default', path: '/ratings/1' } });
    c.path = '/ratings/1';
    expect(matchMeshRouteStage(c)).toBeUndefined();
    expect(c.match).toBeUndefined();
    expect(c.routeLabel).toBeNull();
    expect(c.targets).toEqual([{ kind: 'Service', id: 'default/ratings' }]);
  });
});
