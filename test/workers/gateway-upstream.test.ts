// What the gateway does with the upstream, end to end against real servers on 127.0.0.1:
// retries (on 503 for GET, never for POST), timeouts (504), mirroring, fault injection, CORS,
// redirects and rewrites, and response header operations.
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { apiService, echo, gw, pushPolicy, route, upstream } from './gateway-support.ts';

beforeAll(async () => {
  await pushPolicy(
    apiService(),
    route(
      'api',
      'up.example.com',
      [
        '    - name: flaky',
        '      matches: [{ path: { prefix: /status } }]',
        '      backends: [{ service: api, subset: stable }]',
        '      retries: { attempts: 2, perTryTimeout: 2s, retryOn: [gateway-error], backoff: { baseInterval: 5ms } }',
        '    - name: slow',
        '      matches: [{ path: { prefix: /slow } }]',
        '      backends: [{ service: api, subset: stable }]',
        '      timeout: 300ms',
        '      retries: { attempts: 0 }',
        '    - name: streaming',
        '      matches: [{ path: { prefix: /drip } }]',
        '      backends: [{ service: api, subset: stable }]',
        '      timeout: 300ms',
        '      retries: { attempts: 1, perTryTimeout: 200ms }',
        '    - name: shadowed',
        '      matches: [{ path: { prefix: /shadow } }]',
        '      backends: [{ service: api, subset: stable }]',
        '      mirror: { service: api, subset: mirror, percent: 100 }',
        '    - name: broken',
        '      matches: [{ path: { prefix: /broken } }]',
        '      backends: [{ service: api, subset: stable }]',
        '      fault: { abort: { status: 503, percent: 100 } }',
        '    - name: old',
        '      matches: [{ path: { prefix: /old } }]',
        '      redirect: { path: /new, statusCode: 308 }',
        '    - name: moved',
        '      matches: [{ path: { prefix: /legacy/api } }]',
        '      backends: [{ service: api, subset: stable }]',
        '      rewrite: { pathPrefix: /v2 }',
        '      requestHeaders: { set: { x-route: moved }, remove: [x-debug] }',
        '      responseHeaders: { remove: [server], set: { x-served-by: weft } }',
        '    - name: patchable',
        '      matches: [{ path: { prefix: /profile }, methods: [GET, PATCH] }]',
        '      backends: [{ service: api, subset: stable }]',
        '      cors: { allowOrigins: ["https://app.example.com"], allowMethods: [GET, PATCH] }',
        '    - name: web',
        '      matches: [{ path: { prefix: /web } }]',
        '      backends: [{ service: api, subset: stable }]',
        '      cors: { allowOrigins: ["https://app.example.com"], allowMethods: [GET, POST], allowHeaders: [content-type], maxAge: 10m, allowCredentials: true }',
      ].join('\n'),
    ),
  );
});

beforeEach(async () => {
  await upstream('stable', '/__reset');
  await upstream('mirror', '/__reset');
});

async function hits(path: string): Promise<number> {
  return ((await upstream('stable', '/__hits')) as Record<string, number>)[path] ?? 0;
}

describe('retries and timeouts', () => {
  it('retries a GET that got 503 (attempts + 1 tries), then gives the client the last answer', async () => {
    const res = await gw('https://up.example.com/status/503');
    expect(res.status).toBe(503);
    expect(await hits('/status/503')).toBe(3);
  });

  it('never retries a POST (not idempotent)', async () => {
    const res = await gw('https://up.example.com/status/503', { method: 'POST', body: '{}' });
    expect(res.status).toBe(503);
    expect(await hits('/status/503')).toBe(1);
  });

  it('does not retry what retryOn does not cover', async () => {
    expect((await gw('https://up.example.com/status/500')).status).toBe(500);
    expect(await hits('/status/500')).toBe(1);
  });

  it('bounds the wait for the response head, not the body: a response streaming longer than the timeouts arrives whole', async () => {
    const res = await gw('https://up.example.com/drip/600');
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('first chunk\nlast chunk\n');
  });

  it('answers 504 when the upstream is slower than the route timeout', async () => {
    const res = await gw('https://up.example.com/slow/2000');
    expect(res.status).toBe(504);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('upstream_timeout');
  });
});

describe('mirror and faults', () => {
  it('sends a copy to the mirror; its answer never reaches the client', async () => {
    const e = await echo(await gw('https://up.example.com/shadow/1?q=2'));
    expect(e.upstream).toBe('stable');
    let seen: { url: string; headers: Record<string, string> }[] = [];
    for (let i = 0; i < 50 && seen.length === 0; i++) {
      seen = (await upstream('mirror', '/__log')) as typeof seen;
      if (seen.length === 0) await new Promise((r) => setTimeout(r, 20));
    }
    expect(seen.map((s) => s.url)).toEqual(['/shadow/1?q=2']);
    expect(seen[0]?.headers['x-weft-shadow']).toBe('true');
    expect(seen[0]?.headers['x-weft-svid']).toBeUndefined(); // addressed to the primary service only
    expect(e.headers['x-weft-svid']).toBeDefined();
  });

  it('aborts with the injected status without calling the upstream', async () => {
    const res = await gw('https://up.example.com/broken');
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('fault_injected');
    expect(await hits('/broken')).toBe(0);
  });
});

describe('redirects, rewrites and header operations', () => {
  it('redirects with the configured status and Location', async () => {
    const res = await gw('https://up.example.com/old/page', { redirect: 'manual' });
    expect(res.status).toBe(308);
    expect(res.headers.get('location')).toBe('https://up.example.com/new');
  });

  it('rewrites the matched prefix and applies request and response header operations', async () => {
    const res = await gw('https://up.example.com/legacy/api/users?x=1', { headers: { 'x-debug': 'on' } });
    expect(res.headers.get('server')).toBeNull();
    expect(res.headers.get('x-served-by')).toBe('weft');
    const e = await echo(res);
    expect(e.url).toBe('/v2/users?x=1');
    expect(e.headers['x-route']).toBe('moved');
    expect(e.headers['x-debug']).toBeUndefined();
  });
});

describe("the upstream's response headers", () => {
  it('reach the client as sent, several Set-Cookie headers included', async () => {
    const res = await gw('https://up.example.com/status/200?h.x-kept=yes&h.set-cookie=a%3D1&h.set-cookie=b%3D2&h.cache-control=no-store');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-kept')).toBe('yes');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect((await echo(res)).upstream).toBe('stable');
  });

  it('lose hop-by-hop headers, the headers Connection names, and identity claims', async () => {
    const res = await gw('https://up.example.com/status/200?h.connection=x-internal&h.x-internal=secret&h.x-weft-principal=spiffe%3A%2F%2Fevil&h.x-forwarded-client-cert=By%3Dx&h.x-kept=yes');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-kept')).toBe('yes');
    for (const name of ['connection', 'x-internal', 'x-weft-principal', 'x-forwarded-client-cert']) expect(res.headers.get(name), name).toBeNull();
  });
});

describe('CORS', () => {
  it('answers an allowed preflight itself and adds CORS headers to actual responses', async () => {
    const pre = await gw('https://up.example.com/web/items', {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(pre.headers.get('access-control-allow-credentials')).toBe('true');
    expect(pre.headers.get('access-control-max-age')).toBe('600');
    expect(await hits('/web/items')).toBe(0);
    const actual = await gw('https://up.example.com/web/items', { headers: { origin: 'https://app.example.com' } });
    expect(actual.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(actual.headers.get('vary')).toMatch(/origin/i);
  });

  it('answers the preflight of a method-restricted rule (matched as the request it announces)', async () => {
    const pre = await gw('https://up.example.com/profile/me', { method: 'OPTIONS', headers: { origin: 'https://app.example.com', 'access-control-request-method': 'PATCH' } });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-methods')).toContain('PATCH');
  });

  it('refuses a preflight from an origin it does not list', async () => {
    const res = await gw('https://up.example.com/web/items', { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    expect(res.status).toBe(403);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });
});
