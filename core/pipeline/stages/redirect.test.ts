// redirect: a redirect rule answers with its status and Location (the request's scheme,
// host name, listener port and normalized path, the redirect's parts replaced, the query kept).
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
  - name: prefix
    matches:
      - path: { prefix: /original-prefix }
      - path: { prefix: /other-prefix/ }
    redirect: { pathPrefix: /replacement-prefix }
  - name: strip
    matches:
      - path: { prefix: /strip }
    redirect: { pathPrefix: /, host: example.org }
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

  it('keeps the listener’s port when the redirect sets neither scheme nor port, not the Host’s', async () => {
    expect(await redirect({ scheme: 'http', authority: 'api.example.com:8787', listenerPort: 8787, path: '/api/v1' })).toMatchObject({ headers: { location: 'http://api.example.com:8787/v1' } });
    expect(await redirect({ scheme: 'http', authority: 'api.example.com:9999', listenerPort: 80, path: '/api/v1' })).toMatchObject({ headers: { location: 'http://api.example.com/v1' } });
    expect(await redirect({ scheme: 'https', authority: 'api.example.com:8443', listenerPort: 443, path: '/api/v1' })).toMatchObject({ headers: { location: 'https://api.example.com/v1' } });
  });

  it('replaces the prefix the request matched (Gateway API ReplacePrefixMatch)', async () => {
    expect(await redirect({ scheme: 'http', listenerPort: 80, path: '/original-prefix/lemon?x=1' })).toMatchObject({ status: 302, headers: { location: 'http://api.example.com/replacement-prefix/lemon?x=1' } });
    expect(await redirect({ scheme: 'http', listenerPort: 80, path: '/original-prefix' })).toMatchObject({ headers: { location: 'http://api.example.com/replacement-prefix' } });
    expect(await redirect({ scheme: 'http', listenerPort: 80, path: '/original-prefix/' })).toMatchObject({ headers: { location: 'http://api.example.com/replacement-prefix/' } });
    // the second match block's prefix (trailing slash ignored) is the one replaced
    expect(await redirect({ scheme: 'http', listenerPort: 80, path: '/other-prefix/a/b' })).toMatchObject({ headers: { location: 'http://api.example.com/replacement-prefix/a/b' } });
    expect(await redirect({ scheme: 'https', listenerPort: 443, path: '/strip/three' })).toMatchObject({ headers: { location: 'https://example.org/three' } });
    expect(await redirect({ scheme: 'https', listenerPort: 443, path: '/strip' })).toMatchObject({ headers: { location: 'https://example.org/' } });
  });

  it('replaces scheme and host (default port, 302 by default) and keeps the normalized path', async () => {
    expect(await redirect({ scheme: 'http', authority: 'api.example.com:8080', path: '/old/./a//b?x=1&y' })).toEqual({
      status: 302,
      code: null,
      message: '',
      headers: { location: 'https://www.example.com/old/a/b?x=1&y' },
    });
  });

  it('answers 400 when the port the client named cannot be a URL’s and the Location needs it', async () => {
    expect(await redirect({ scheme: 'http', authority: 'api.example.com:abc', listenerPort: null, path: '/api/v1' })).toEqual({
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
