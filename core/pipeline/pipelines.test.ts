// runStages (stop at the first answer; synchronous while every stage is) and the three stage
// lists run end to end in process against fake pieces.
import { beforeAll, describe, expect, it } from 'vitest';
import { refuse } from './answer.ts';
import type { Answer } from './answer.ts';
import type { PipelineContext, Stage } from './context.ts';
import { EDGE_STAGES, INBOUND_STAGES, outboundStages, runStages } from './pipelines.ts';
import type { SnapshotRuntime } from '../runtime/snapshot-runtime.ts';
import { GATEWAY_ID, TRACEPARENT, doc, fixture, meshDoc, runtimeOf } from '../../test/support/pipeline-fixture.ts';

function recorder() {
  const ran: string[] = [];
  const stage =
    (name: string, result?: Answer | Promise<Answer | undefined>): Stage =>
    () => {
      ran.push(name);
      return result;
    };
  return { ran, stage };
}

const DENIED = refuse('access_denied', 'no');

describe('runStages', () => {
  it('stops at the first answer and stays synchronous when every stage is', async () => {
    const { runtime } = await minimal();
    const { ran, stage } = recorder();
    const { c } = fixture({ runtime });
    const answer = runStages([stage('a'), stage('b', DENIED), stage('c')], c);
    expect(answer).toBe(DENIED);
    expect(ran).toEqual(['a', 'b']);
  });

  it('runs every stage and answers undefined, synchronously, when none answers', async () => {
    const { runtime } = await minimal();
    const { ran, stage } = recorder();
    const { c } = fixture({ runtime });
    const answer = runStages([stage('a'), stage('b'), stage('c')], c);
    expect(answer).toBeUndefined();
    expect(ran).toEqual(['a', 'b', 'c']);
  });

  it('goes on after an async stage that lets the request pass, and stops at a later answer', async () => {
    const { runtime } = await minimal();
    const { ran, stage } = recorder();
    const { c } = fixture({ runtime });
    const answer = runStages([stage('a'), stage('b', Promise.resolve(undefined)), stage('c', DENIED), stage('d')], c);
    expect(answer).toBeInstanceOf(Promise);
    expect(ran).toEqual(['a', 'b']);
    expect(await answer).toBe(DENIED);
    expect(ran).toEqual(['a', 'b', 'c']);
  });

  it('stops at an async answer', async () => {
    const { runtime } = await minimal();
    const { ran, stage } = recorder();
    const { c } = fixture({ runtime });
    expect(await runStages([stage('a', Promise.resolve(DENIED)), stage('b')], c)).toBe(DENIED);
    expect(ran).toEqual(['a']);
  });
});

let cached: { runtime: SnapshotRuntime } | undefined;
async function minimal() {
  cached ??= { runtime: await runtimeOf(meshDoc()) };
  return cached;
}

const PRODUCTPAGE = 'spiffe://weft.local/ns/default/sa/productpage';

let runtime: SnapshotRuntime;
beforeAll(async () => {
  runtime = await runtimeOf(
    [
      meshDoc('mtls:\n  mode: strict'),
      doc('Service', 'productpage', 'port: 9080\nendpoints:\n  - address: 10.0.0.1\n  - address: 10.0.0.2'),
      doc('Service', 'reviews', 'port: 9080\nendpoints:\n  - address: 10.0.1.1'),
      doc(
        'Route',
        'productpage',
        'edge:\n  hosts: [bookinfo.example.com]\nmesh:\n  services: [productpage]\nrules:\n  - name: pages\n    matches:\n      - path: { prefix: /productpage }\n    backends: [{ service: productpage }]\n    requestHeaders:\n      set: { x-route: pages }',
      ),
      doc('AccessPolicy', 'reviews-callers', `targetRefs: [{ kind: Service, name: reviews }]\naction: allow\nrules:\n  - from:\n      principals: [${PRODUCTPAGE}]`),
    ].join('---\n'),
  );
});

function identity(c: PipelineContext, audience: string): undefined {
  c.upstreamHeaders.set('x-weft-svid', `svid-for ${audience}`);
  return undefined;
}

describe('the stage lists end to end', () => {
  it('EDGE_STAGES: a request is routed, headed, identified and delivered by its backend', async () => {
    // The built-in retries: a connect failure is tried again on the other endpoint.
    const f = fixture({ runtime, identity, request: { host: 'bookinfo.example.com', path: '/productpage?u=1' }, tries: { '10.0.0.1:9080': [{ fail: 'connect-failure' }] } });
    expect(await runStages(EDGE_STAGES, f.c)).toBeUndefined();
    expect(f.c.routeLabel).toBe('default/productpage#pages');
    expect(f.c.delivered).toBe('10.0.0.2:9080 200');
    expect(f.c.retries).toBe(1);
    expect(f.identities).toEqual(['spiffe://weft.local/ns/default/sa/productpage']);
    expect(f.headers.get('x-route')).toBe('pages');
    expect(f.headers.get('traceparent')).toBe(TRACEPARENT);
    expect(f.headers.get('x-weft-svid')).toBe('svid-for spiffe://weft.local/ns/default/sa/productpage');
  });

  it('EDGE_STAGES: an unknown host is answered 404 before anything else runs', () => {
    const f = fixture({ runtime, request: { host: 'nope.example.com' } });
    expect(runStages(EDGE_STAGES, f.c)).toMatchObject({ status: 404, code: 'no_route' });
    expect(f.bodyCalls).toBe(0);
  });

  it('outboundStages: a call to a service no route governs goes by its direct rule', async () => {
    const f = fixture({ runtime, plane: 'outbound', identity, request: { host: 'reviews', authority: 'reviews:9080', scheme: 'http', path: '/reviews/1' } });
    expect(await runStages(outboundStages('default'), f.c)).toBeUndefined();
    expect(f.c.service).toBe('default/reviews');
    expect(f.c.match?.rule.name).toBe('direct');
    expect(f.c.delivered).toBe('10.0.1.1:9080 200');
    expect(f.headers.get('x-forwarded-proto')).toBe('http');
  });

  it('outboundStages: an unknown service is 502 unknown_service', () => {
    const f = fixture({ runtime, plane: 'outbound', request: { host: 'example.com' } });
    expect(runStages(outboundStages('default'), f.c)).toMatchObject({ status: 502, code: 'unknown_service' });
  });

  it('INBOUND_STAGES: a verified caller the policy allows reaches the app, which learns who called', async () => {
    const f = fixture({
      runtime,
      plane: 'inbound',
      service: 'default/reviews',
      request: { host: 'reviews.default', scheme: 'http', path: '/reviews/1', headers: { 'x-weft-svid': 'svid-productpage' } },
      inbound: { svids: { 'svid-productpage': { ok: true, value: PRODUCTPAGE } } },
    });
    expect(await runStages(INBOUND_STAGES, f.c)).toBeUndefined();
    expect(f.c.delivered).toBe('app 200');
    expect(f.headers.get('x-weft-peer-id')).toBe(PRODUCTPAGE);
    expect(f.headers.get('x-weft-svid')).toBeNull();
  });

  it('INBOUND_STAGES: the gateway is refused where the allow policy does not name it: 403 before the app', async () => {
    const f = fixture({
      runtime,
      plane: 'inbound',
      service: 'default/reviews',
      request: { host: 'reviews.default', path: '/reviews/1', headers: { 'x-weft-svid': 'svid-gateway' } },
      inbound: { svids: { 'svid-gateway': { ok: true, value: GATEWAY_ID } } },
    });
    expect(await runStages(INBOUND_STAGES, f.c)).toMatchObject({ status: 403, code: 'access_denied' });
    expect(f.inbound?.appCalls).toBe(0);
  });
});
