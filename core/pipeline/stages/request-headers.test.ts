// request-headers: the rule's rewrite (path prefix, whole path, host) and its request header
// operations (remove, then set, then add), then the picked backend's own. A host rewrite at
// the edge also goes as x-forwarded-host; a sidecar sends it as the Host.
import { beforeAll, describe, expect, it } from 'vitest';
import type { SnapshotRuntime } from '../../runtime/snapshot-runtime.ts';
import { doc, fixture, meshDoc, runAll, runtimeOf } from '../../../test/support/pipeline-fixture.ts';
import type { FixtureOptions } from '../../../test/support/pipeline-fixture.ts';
import { forwardingHeadersStage } from './forwarding-headers.ts';
import { matchEdgeRouteStage, matchMeshRouteStage } from './match-route.ts';
import { normalizePathStage } from './normalize-path.ts';
import { pickBackendStage } from './pick-backend.ts';
import { requestHeadersStage } from './request-headers.ts';

const RULES = `rules:
  - name: prefix
    matches:
      - path: { prefix: /api/ }
    rewrite: { pathPrefix: /v2 }
    backends: [{ service: api }]
  - name: whole
    matches:
      - path: { exact: /legacy }
    rewrite: { path: /new/place }
    backends: [{ service: api }]
  - name: host
    matches:
      - path: { prefix: /internal }
    rewrite: { host: internal.example }
    backends: [{ service: api }]
  - name: ops
    matches:
      - path: { prefix: /ops }
    requestHeaders:
      remove: [x-drop, X-Twice]
      set: { x-twice: set, X-Set: fresh }
      add: { x-set: added, x-add: one }
    backends: [{ service: api }]
  - name: per-backend
    matches:
      - path: { prefix: /per-backend }
    requestHeaders: { set: { x-who: rule, x-rule: "yes" } }
    backends:
      - service: api
        requestHeaders: { set: { x-who: backend }, remove: [x-rule], add: { x-add: backend } }`;

let runtime: SnapshotRuntime;
beforeAll(async () => {
  runtime = await runtimeOf(
    [
      meshDoc(),
      doc('Service', 'api', 'port: 8080\nendpoints:\n  - address: 10.0.0.1'),
      doc('Route', 'api', `edge:\n  hosts: [api.example.com]\nmesh:\n  services: [api]\n${RULES}`),
    ].join('---\n'),
  );
});

async function atEdge(request: FixtureOptions['request']) {
  const f = fixture({ runtime, request });
  expect(await runAll(f.c, [normalizePathStage, matchEdgeRouteStage, forwardingHeadersStage])).toBeUndefined();
  expect(requestHeadersStage(f.c)).toBeUndefined();
  return f;
}

describe('request-headers stage', () => {
  it('applies the picked backend’s operations after the rule’s', async () => {
    const f = fixture({ runtime, request: { path: '/per-backend', headers: { 'x-add': 'client' } } });
    expect(await runAll(f.c, [normalizePathStage, matchEdgeRouteStage, pickBackendStage, requestHeadersStage])).toBeUndefined();
    expect([f.headers.get('x-who'), f.headers.get('x-rule'), f.headers.get('x-add')]).toEqual(['backend', null, 'client, backend']);
  });

  it('applies only the rule’s operations before a backend is picked', async () => {
    const f = fixture({ runtime, request: { path: '/per-backend' } });
    expect(await runAll(f.c, [normalizePathStage, matchEdgeRouteStage, requestHeadersStage])).toBeUndefined();
    expect([f.headers.get('x-who'), f.headers.get('x-rule')]).toEqual(['rule', 'yes']);
  });

  it('replaces the matched prefix segment-wise', async () => {
    expect((await atEdge({ path: '/api/users/7?q=1' })).c.upstreamPath).toBe('/v2/users/7');
    expect((await atEdge({ path: '/api' })).c.upstreamPath).toBe('/v2');
  });

  it('replaces the whole path; the path routing saw is unchanged', async () => {
    const { c } = await atEdge({ path: '/legacy' });
    expect(c.upstreamPath).toBe('/new/place');
    expect(c.path).toBe('/legacy');
    expect(c.upstreamHost).toBeNull();
  });

  it('edge: a host rewrite is the upstream host and goes as x-forwarded-host', async () => {
    const { c, headers } = await atEdge({ path: '/internal/x' });
    expect(c.upstreamHost).toBe('internal.example');
    expect(headers.get('x-forwarded-host')).toBe('internal.example');
    expect(c.upstreamPath).toBe('/internal/x');
  });

  it('mesh: a host rewrite is the upstream host only', async () => {
    const f = fixture({ runtime, plane: 'outbound', request: { host: 'api', path: '/internal/x' } });
    f.c.service = 'default/api';
    expect(await runAll(f.c, [normalizePathStage, matchMeshRouteStage, requestHeadersStage])).toBeUndefined();
    expect(f.c.upstreamHost).toBe('internal.example');
    expect(f.headers.get('x-forwarded-host')).toBeNull();
  });

  it('applies header operations as remove, then set, then add', async () => {
    const { headers } = await atEdge({ path: '/ops', headers: { 'x-drop': 'client', 'x-twice': 'client', 'x-set': 'client', 'x-keep': 'client' } });
    expect(headers.get('x-drop')).toBeNull();
    expect(headers.get('x-twice')).toBe('set');
    expect(headers.get('x-set')).toBe('fresh, added');
    expect(headers.get('x-add')).toBe('one');
    expect(headers.get('x-keep')).toBe('client');
  });

  it('leaves path and headers alone on a rule without rewrite or operations', async () => {
    const f = fixture({ runtime, request: { path: '/nowhere' } });
    f.c.path = f.c.upstreamPath = '/nowhere';
    expect(requestHeadersStage(f.c)).toBeUndefined();
    expect(f.c.upstreamPath).toBe('/nowhere');
  });
});
