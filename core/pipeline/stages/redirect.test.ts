// redirect: a redirect rule answers with its status and Location (the request's URL with
// the normalized path, the query kept, the redirect's parts replaced).
import { beforeAll, describe, expect, it } from 'vitest';
import type { SnapshotRuntime } from '../../runtime/snapshot-runtime.ts';
import { apiPolicy, fixture, runAll, runtimeOf } from '../../../test/support/pipeline-fixture.ts';
import type { RequestSpec } from '../../../test/support/pipeline-fixture.ts';
import { matchEdgeRouteStage } from './match-route.ts';
import { normalizePathStage } from './normalize-path.ts';
import { redirectStage } from './redirect.ts';

let runtime: SnapshotRuntime;
beforeAll(async () => {
  runtime = await runtimeOf(
    apiPolicy(`  - name: legacy
    matches:
      - path: { prefix: /api/v1 }
    redirect: { path: /v1, statusCode: 308 }
  - name: www
    matches:
      - path: { prefix: /old }
    redirect: { scheme: https, host: www.example.com }
  - name: served
    matches:
      - path: { prefix: /v1 }
    backends: [{ service: api }]`),
  );
});

async function redirect(request: RequestSpec) {
  const f = fixture({ runtime, request });
  expect(await runAll(f.c, [normalizePathStage, matchEdgeRouteStage])).toBeUndefined();
  return redirectStage(f.c);
}

describe('redirect stage', () => {
  it('answers with the configured status and Location, query kept', async () => {
    expect(await redirect({ path: '/api/v1/users?page=2' })).toEqual({ status: 308, code: null, message: '', headers: { location: 'https://api.example.com/v1?page=2' } });
  });

  it('keeps the request’s port when the redirect sets no scheme', async () => {
    expect(await redirect({ scheme: 'http', authority: 'api.example.com:8787', path: '/api/v1' })).toMatchObject({ headers: { location: 'http://api.example.com:8787/v1' } });
  });

  it('replaces scheme and host (default port, 302 by default) and keeps the normalized path', async () => {
    expect(await redirect({ scheme: 'http', authority: 'api.example.com:8080', path: '/old/./a//b?x=1&y' })).toEqual({
      status: 302,
      code: null,
      message: '',
      headers: { location: 'https://www.example.com/old/a/b?x=1&y' },
    });
  });

  it('answers 400 when the authority the client named cannot be a URL host (no Location to build)', async () => {
    expect(await redirect({ scheme: 'http', authority: 'api.example.com:abc', path: '/api/v1' })).toEqual({
      status: 400,
      code: 'bad_request',
      message: 'cannot redirect: "api.example.com:abc" is not a valid host and port',
      headers: {},
    });
  });

  it('does nothing on a rule that forwards', async () => {
    expect(await redirect({ path: '/v1/users' })).toBeUndefined();
  });
});
