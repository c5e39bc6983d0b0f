// request-size: the limit is the matched rule's maxRequestBytes, else the Mesh default, else
// 32 MiB; a declared Content-Length over it is 413 before anything goes upstream, one at the
// limit passes, and a body of undeclared length passes with the limit recorded for the
// adapter to count against.
import { beforeAll, describe, expect, it } from 'vitest';
import type { SnapshotRuntime } from '../../runtime/snapshot-runtime.ts';
import { doc, fixture, meshDoc, runAll, runtimeOf } from '../../../test/support/pipeline-fixture.ts';
import type { RequestSpec } from '../../../test/support/pipeline-fixture.ts';
import { EDGE_STAGES, INBOUND_STAGES, outboundStages, runStages } from '../pipelines.ts';
import { matchEdgeRouteStage, matchMeshRouteStage } from './match-route.ts';
import { normalizePathStage } from './normalize-path.ts';
import { requestSizeStage } from './request-size.ts';

const SERVICES = [doc('Service', 'api', 'port: 8080\nendpoints:\n  - address: 10.0.0.1'), doc('Service', 'reviews', 'port: 9080\nendpoints:\n  - address: 10.0.1.1')];
const ROUTE = doc(
  'Route',
  'api',
  [
    'edge:\n  hosts: [api.example.com]\nmesh:\n  services: [api]\nrules:',
    '  - name: small\n    matches: [{ path: { prefix: /small } }]\n    backends: [{ service: api }]\n    maxRequestBytes: 1000',
    '  - name: other\n    matches: [{ path: { prefix: / } }]\n    backends: [{ service: api }]',
  ].join('\n'),
);

let withDefault: SnapshotRuntime;
let builtIn: SnapshotRuntime;
beforeAll(async () => {
  withDefault = await runtimeOf([meshDoc('defaults:\n  maxRequestBytes: 5000'), ...SERVICES, ROUTE].join('---\n'));
  builtIn = await runtimeOf([meshDoc(), ...SERVICES, ROUTE].join('---\n'));
});

async function edge(request: RequestSpec, runtime = withDefault) {
  const f = fixture({ runtime, request: { method: 'POST', ...request } });
  expect(await runAll(f.c, [normalizePathStage, matchEdgeRouteStage])).toBeUndefined();
  return f;
}

const TOO_LARGE = (limit: number) => ({ status: 413, code: 'body_too_large', message: `the request body is larger than this route's limit of ${limit} bytes (maxRequestBytes)`, headers: {} });

describe('request-size stage', () => {
  it('answers 413 body_too_large for a declared Content-Length over the rule’s limit', async () => {
    const f = await edge({ path: '/small', headers: { 'content-length': '1001' } });
    expect(requestSizeStage(f.c)).toEqual(TOO_LARGE(1000));
  });

  it('lets a body of exactly the limit through', async () => {
    const f = await edge({ path: '/small', headers: { 'content-length': '1000' } });
    expect(requestSizeStage(f.c)).toBeUndefined();
    expect(f.c.maxRequestBytes).toBe(1000);
  });

  it('lets a body of undeclared length through, recording the limit the adapter counts it against', async () => {
    const f = await edge({ path: '/small', headers: { 'transfer-encoding': 'chunked' } });
    expect(requestSizeStage(f.c)).toBeUndefined();
    expect(f.c.maxRequestBytes).toBe(1000);
  });

  it('takes the Mesh default for a rule that sets none, and 32 MiB without one', async () => {
    const mesh = await edge({ path: '/other', headers: { 'content-length': '5001' } });
    expect(requestSizeStage(mesh.c)).toEqual(TOO_LARGE(5000));

    const atBuiltIn = await edge({ path: '/other', headers: { 'content-length': String(32 * 1024 * 1024) } }, builtIn);
    expect(requestSizeStage(atBuiltIn.c)).toBeUndefined();
    const overBuiltIn = await edge({ path: '/other', headers: { 'content-length': String(32 * 1024 * 1024 + 1) } }, builtIn);
    expect(requestSizeStage(overBuiltIn.c)).toEqual(TOO_LARGE(33_554_432));
  });

  it('inbound: the matched mesh rule’s limit, else (no rule matched) the Mesh default', async () => {
    const inbound = async (service: string, path: string) => {
      const f = fixture({ runtime: withDefault, plane: 'inbound', service, request: { method: 'POST', host: 'x', path, headers: { 'content-length': '1001' } } });
      expect(await runAll(f.c, [normalizePathStage, matchMeshRouteStage])).toBeUndefined();
      return f;
    };
    expect(requestSizeStage((await inbound('default/api', '/small')).c)).toEqual(TOO_LARGE(1000));
    const unmatched = await inbound('default/reviews', '/small');
    expect(unmatched.c.match).toBeUndefined();
    expect(requestSizeStage(unmatched.c)).toBeUndefined();
    expect(unmatched.c.maxRequestBytes).toBe(5000);
  });
});

describe('request-size in the stage lists: 413 before the body is read or anything is sent', () => {
  const oversize = { method: 'POST', headers: { 'content-length': '1001' } };

  it('at the edge', async () => {
    const f = fixture({ runtime: withDefault, request: { ...oversize, path: '/small' } });
    expect(await runStages(EDGE_STAGES, f.c)).toEqual(TOO_LARGE(1000));
    expect(f.bodyCalls).toBe(0);
    expect(f.tries).toEqual([]);
  });

  it('outbound, on the mesh rule and on a service’s direct rule (the Mesh default)', async () => {
    const routed = fixture({ runtime: withDefault, plane: 'outbound', request: { ...oversize, host: 'api', path: '/small' } });
    expect(await runStages(outboundStages('default'), routed.c)).toEqual(TOO_LARGE(1000));
    expect(routed.tries).toEqual([]);

    const direct = fixture({ runtime: withDefault, plane: 'outbound', request: { method: 'POST', host: 'reviews', path: '/', headers: { 'content-length': '5001' } } });
    expect(await runStages(outboundStages('default'), direct.c)).toEqual(TOO_LARGE(5000));
    expect(direct.c.match?.rule.name).toBe('direct');
    expect(direct.tries).toEqual([]);
  });

  it('inbound, before the app is called', async () => {
    const caller = 'spiffe://weft.local/ns/default/sa/reviews';
    const f = fixture({
      runtime: withDefault,
      plane: 'inbound',
      service: 'default/api',
      request: { method: 'POST', host: 'api.default', path: '/small', headers: { 'content-length': '1001', 'x-weft-svid': 'svid' } },
      inbound: { svids: { svid: { ok: true, value: caller } } },
    });
    expect(await runStages(INBOUND_STAGES, f.c)).toEqual(TOO_LARGE(1000));
    expect(f.inbound?.appCalls).toBe(0);
  });
});
