// authorize: access policy on the request's targets. Deny names the policy (403
// access_denied); inbound the caller is the verified peer, the end user its principal.
import { beforeAll, describe, expect, it } from 'vitest';
import type { SnapshotRuntime } from '../../runtime/snapshot-runtime.ts';
import { doc, fixture, meshDoc, runAll, runtimeOf } from '../../../test/support/pipeline-fixture.ts';
import type { FixtureOptions } from '../../../test/support/pipeline-fixture.ts';
import { authorizeStage } from './authorize.ts';
import { matchEdgeRouteStage, matchMeshRouteStage } from './match-route.ts';
import { normalizePathStage } from './normalize-path.ts';

const PRODUCTPAGE = 'spiffe://weft.local/ns/default/sa/productpage';
const RATINGS = 'spiffe://weft.local/ns/default/sa/ratings';

let runtime: SnapshotRuntime;
beforeAll(async () => {
  runtime = await runtimeOf(
    [
      meshDoc(),
      doc('Service', 'api', 'port: 8080\nendpoints:\n  - address: 10.0.0.1'),
      doc('Service', 'reviews', 'port: 9080'),
      doc('Route', 'api', 'edge:\n  hosts: [api.example.com]\nrules:\n  - name: all\n    backends: [{ service: api }]'),
      doc('AccessPolicy', 'api-admin-deny', 'targetRefs: [{ kind: Route, name: api }]\naction: deny\nrules:\n  - to:\n      paths: ["/admin/*"]\n  - from:\n      requestPrincipals: ["apikey/banned"]'),
      doc('AccessPolicy', 'reviews-callers', `targetRefs: [{ kind: Service, name: reviews }]\naction: allow\nrules:\n  - from:\n      principals: [${PRODUCTPAGE}]\n    to:\n      methods: [GET]`),
    ].join('---\n'),
  );
});

async function atEdge(request: FixtureOptions['request']) {
  const f = fixture({ runtime, request });
  expect(await runAll(f.c, [normalizePathStage, matchEdgeRouteStage])).toBeUndefined();
  return f;
}

async function inbound(peer: string | null, method = 'GET') {
  const f = fixture({ runtime, plane: 'inbound', service: 'default/reviews', request: { method, host: 'reviews.default', path: '/reviews/1' } });
  expect(await runAll(f.c, [normalizePathStage, matchMeshRouteStage])).toBeUndefined();
  f.c.peer = peer;
  return f;
}

describe('authorize stage', () => {
  it('allows what no policy denies', async () => {
    const { c } = await atEdge({ path: '/v1/items' });
    expect(authorizeStage(c)).toBeUndefined();
  });

  it('denies with 403 access_denied naming the policy and the rule', async () => {
    const { c } = await atEdge({ path: '/admin/users' });
    expect(authorizeStage(c)).toEqual({ status: 403, code: 'access_denied', message: 'denied by AccessPolicy default/api-admin-deny: deny rule 1 matches', headers: {} });
  });

  it('decides on the normalized path', async () => {
    const { c } = await atEdge({ path: '/public/../admin/%75sers' });
    expect(authorizeStage(c)).toMatchObject({ status: 403, code: 'access_denied' });
  });

  it('decides on the authenticated user', async () => {
    const { c } = await atEdge({ path: '/v1/items' });
    c.user = { requestPrincipal: 'apikey/banned', claims: {}, apiKey: 'banned' };
    expect(authorizeStage(c)).toEqual({ status: 403, code: 'access_denied', message: 'denied by AccessPolicy default/api-admin-deny: deny rule 2 matches', headers: {} });
  });

  it('inbound: the verified peer is the principal an allow policy names', async () => {
    expect(authorizeStage((await inbound(PRODUCTPAGE)).c)).toBeUndefined();
  });

  it('inbound: a peer the allow policy does not name, or none, is denied', async () => {
    const denied = {
      status: 403,
      code: 'access_denied',
      message: 'denied by AccessPolicy default/reviews-callers: no allow rule matches (allow policies: default/reviews-callers)',
      headers: {},
    };
    expect(authorizeStage((await inbound(RATINGS)).c)).toEqual(denied);
    expect(authorizeStage((await inbound(null)).c)).toEqual(denied);
    expect(authorizeStage((await inbound(PRODUCTPAGE, 'DELETE')).c)).toEqual(denied);
  });
});
