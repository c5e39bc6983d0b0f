// The Gateway API route actions through the real gateway, control and upstreams: relative
// backend weights (0 gets nothing, all 0 is no_backend), a backend's own header operations,
// several mirrors each drawn on its own percent, `0s` meaning no timeout, and CORS wildcards
// with credentials.
import { beforeAll, describe, expect, it } from 'vitest';
import { apiService, echo, gw, PORTS, pushPolicy, route, upstream } from './gateway-support.ts';

const HOST = 'actions.example.com';

/** Three Services on the `shadow` upstream, so the copies of all mirrors can be counted there. */
const shadows = ['shadow-a', 'shadow-b', 'shadow-c']
  .map((name) => `apiVersion: weft/v1\nkind: Service\nmetadata: { name: ${name} }\nspec:\n  endpoints:\n    - { address: 127.0.0.1, port: ${PORTS.shadow} }`)
  .join('\n---\n');

const MESH = 'apiVersion: weft/v1\nkind: Mesh\nmetadata: { name: weft }\nspec:\n  defaults: { timeout: 150ms, retries: { attempts: 0, perTryTimeout: 150ms } }';

beforeAll(async () => {
  await pushPolicy(
    MESH,
    apiService(),
    shadows,
    route(
      'actions',
      HOST,
      [
        '    - name: zero',
        '      matches: [{ path: { prefix: /zero } }]',
        '      backends: [{ service: api, subset: stable, weight: 0 }, { service: api, subset: canary, weight: 3 }]',
        '    - name: none',
        '      matches: [{ path: { prefix: /none } }]',
        '      backends: [{ service: api, subset: stable, weight: 0 }, { service: api, subset: canary, weight: 0 }]',
        '    - name: per-backend',
        '      matches: [{ path: { prefix: /per-backend } }]',
        '      requestHeaders: { set: { x-backend: rule, x-rule: "yes" } }',
        '      responseHeaders: { set: { x-from: rule } }',
        '      backends:',
        '        - service: api',
        '          subset: stable',
        '          requestHeaders: { set: { x-backend: stable } }',
        '          responseHeaders: { set: { x-from: stable } }',
        '        - service: api',
        '          subset: canary',
        '          requestHeaders: { remove: [x-rule] }',
        '    - name: mirrors',
        '      matches: [{ path: { prefix: /mirrors } }]',
        '      backends: [{ service: api, subset: stable }]',
        '      mirror:',
        '        - { service: shadow-a }',
        '        - { service: shadow-b, percent: 100 }',
        '        - { service: shadow-c, percent: 0 }',
        '    - name: default-timeout',
        '      matches: [{ path: { prefix: /slow/bounded } }]',
        '      backends: [{ service: api, subset: stable }]',
        '      rewrite: { pathPrefix: /slow }',
        '    - name: no-timeout',
        '      matches: [{ path: { prefix: /slow } }]',
        '      backends: [{ service: api, subset: stable }]',
        '      timeout: 0s',
        '      retries: { perTryTimeout: 0s }',
        '    - name: cors',
        '      matches: [{ path: { prefix: /cors } }]',
        '      backends: [{ service: api, subset: stable }]',
        '      cors: { allowOrigins: ["*"], allowMethods: ["*"], allowHeaders: ["*"], exposeHeaders: ["*"], allowCredentials: true }',
      ].join('\n'),
    ),
  );
});

const code = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;

describe('relative weights', () => {
  it('sends nothing to a backend of weight 0', async () => {
    for (let i = 0; i < 20; i++) expect((await echo(await gw(`https://${HOST}/zero/${i}`))).upstream).toBe('canary');
  });

  it('answers no_backend when every backend weighs 0', async () => {
    const res = await gw(`https://${HOST}/none`);
    expect(res.status).toBeGreaterThanOrEqual(500);
    expect(await code(res)).toBe('no_backend');
  });
});

describe('a backend’s own header operations', () => {
  it('apply after the rule’s, to that backend’s requests and responses only', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 24; i++) {
      const res = await gw(`https://${HOST}/per-backend/${i}`);
      const from = res.headers.get('x-from');
      const e = await echo(res);
      seen.add(e.upstream);
      if (e.upstream === 'stable') {
        expect([e.headers['x-backend'], e.headers['x-rule'], from]).toEqual(['stable', 'yes', 'stable']);
      } else {
        expect([e.headers['x-backend'], e.headers['x-rule'], from]).toEqual(['rule', undefined, 'rule']);
      }
    }
    // 1:1 over 24 requests: both backends answer, unless the split is broken.
    expect([...seen].sort()).toEqual(['canary', 'stable']);
  });
});

describe('several mirrors', () => {
  it('copies the request to each mirror its own percent draws, none to a 0% one', async () => {
    const path = `/mirrors/${crypto.randomUUID()}`;
    expect((await echo(await gw(`https://${HOST}${path}`))).upstream).toBe('stable');
    let copies: { url: string; headers: Record<string, string> }[] = [];
    for (let i = 0; i < 100 && copies.length < 2; i++) {
      copies = ((await upstream('shadow', '/__log')) as typeof copies).filter((r) => r.url === path);
      if (copies.length < 2) await new Promise((r) => setTimeout(r, 20));
    }
    expect(copies).toHaveLength(2);
    expect(copies.every((c) => c.headers['x-weft-shadow'] === 'true')).toBe(true);
  });
});

describe('0s: no timeout', () => {
  it('a rule with timeout 0s and perTryTimeout 0s waits for a slow upstream the Mesh default would cut', async () => {
    const bounded = await gw(`https://${HOST}/slow/bounded/600`);
    expect(bounded.status).toBe(504);
    expect(await code(bounded)).toBe('upstream_timeout');
    const res = await gw(`https://${HOST}/slow/600`);
    expect(res.status).toBe(200);
    expect((await echo(res)).upstream).toBe('stable');
  });
});

describe('CORS wildcards with credentials', () => {
  it('answers a preflight with the origin, the method and the headers asked for, never `*`', async () => {
    const pre = await gw(`https://${HOST}/cors/items`, {
      method: 'OPTIONS',
      headers: { origin: 'https://other.foo.com', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'x-header-1, x-header-2' },
    });
    expect(pre.status).toBe(204);
    expect(Object.fromEntries([...pre.headers].filter(([name]) => name.startsWith('access-control-')))).toEqual({
      'access-control-allow-origin': 'https://other.foo.com',
      'access-control-allow-methods': 'PUT',
      'access-control-allow-headers': 'x-header-1, x-header-2',
      'access-control-allow-credentials': 'true',
      'access-control-max-age': '5',
    });
  });

  it('exposes the response’s own headers by name on a credentialed answer', async () => {
    const res = await gw(`https://${HOST}/cors/items?h.x-total=3`, { headers: { origin: 'https://other.foo.com' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://other.foo.com');
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    expect(res.headers.get('access-control-expose-headers')?.split(', ')).toContain('x-total');
  });
});
