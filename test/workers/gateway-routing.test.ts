// Routing at the edge through the real gateway, control and upstreams: weighted canary,
// header routing, path normalization, no route, no snapshot, and a bad snapshot refused
// while the last good one stays in force.
import { beforeAll, describe, expect, it } from 'vitest';
import { apiService, echo, gatewayVersion, gw, pushPolicy, route, testEnv } from './gateway-support.ts';

const ROUTES = route(
  'api',
  'api.example.com',
  [
    '    - name: beta',
    '      matches: [{ path: { prefix: /v1 }, headers: [{ name: x-beta, exact: "yes" }] }]',
    '      backends: [{ service: api, subset: canary }]',
    '    - name: canary',
    '      matches: [{ path: { prefix: /v1 } }]',
    '      backends: [{ service: api, subset: stable, weight: 90 }, { service: api, subset: canary, weight: 10 }]',
    '    - name: items',
    '      matches: [{ path: { template: "/items/{id}" }, methods: [GET] }]',
    '      backends: [{ service: api, subset: stable }]',
  ].join('\n'),
);

let version: string;

beforeAll(async () => {
  version = await pushPolicy(apiService(), ROUTES);
});

describe('gateway routing', () => {
  it('splits a 90/10 canary within tolerance', async () => {
    const n = 400;
    const counts: Record<string, number> = {};
    for (let i = 0; i < n; i++) {
      const e = await echo(await gw(`https://api.example.com/v1/orders/${i}`));
      counts[e.upstream] = (counts[e.upstream] ?? 0) + 1;
    }
    // Binomial(400, 0.1): mean 40, sd 6; ±25 is beyond 4 sd, so this fails only if the split is wrong.
    expect(counts.canary ?? 0).toBeGreaterThan(15);
    expect(counts.canary ?? 0).toBeLessThan(65);
    expect((counts.stable ?? 0) + (counts.canary ?? 0)).toBe(n);
  });

  it('routes on a header to the canary', async () => {
    for (let i = 0; i < 10; i++) expect((await echo(await gw('https://api.example.com/v1/x', { headers: { 'x-beta': 'yes' } }))).upstream).toBe('canary');
  });

  it('matches the normalized path and sends it upstream', async () => {
    const e = await echo(await gw('https://api.example.com/items/%34%32'));
    expect(e.url).toBe('/items/42');
  });

  it('answers 404 JSON when no route matches, 400 for an encoded slash', async () => {
    const none = await gw('https://api.example.com/nothing-here');
    expect(none.status).toBe(404);
    expect(await none.json()).toEqual({ error: { code: 'no_route', message: 'no route for GET api.example.com/nothing-here' } });
    const other = await gw('https://other.example.com/v1/x');
    expect(other.status).toBe(404);
    const slash = await gw('https://api.example.com/v1/a%2Fb');
    expect(slash.status).toBe(400);
    expect(((await slash.json()) as { error: { code: string } }).error.code).toBe('invalid_path');
  });

  it('treats a host with a trailing dot as the same host', async () => {
    expect((await echo(await gw('https://api.example.com./items/1'))).upstream).toBe('stable');
  });

  it('strips identity headers a client tries to inject', async () => {
    const e = await echo(await gw('https://api.example.com/items/1', { headers: { 'x-weft-principal': 'spiffe://weft.local/ns/default/sa/admin', 'x-forwarded-client-cert': 'By=spoofed', 'x-ok': '1' } }));
    expect(e.headers['x-weft-principal']).toBeUndefined();
    expect(e.headers['x-forwarded-client-cert']).toBeUndefined();
    expect(e.headers['x-ok']).toBe('1');
    expect(e.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
  });

  it('refuses an older signed snapshot replayed into KV: only control can roll back', async () => {
    const old = await testEnv.SNAPSHOTS.get(`snapshot/${version}`);
    const newer = await pushPolicy(apiService(), ROUTES.replace('weight: 90', 'weight: 80').replace('weight: 10', 'weight: 20'));
    expect(await gatewayVersion(newer)).toBe(newer);
    const good = await testEnv.SNAPSHOTS.get('snapshot/current');
    await testEnv.SNAPSHOTS.put('snapshot/current', old as string, { metadata: { version } });
    try {
      // Give the gateway time to look at (and refuse) the replayed copy, then check it held on.
      for (let i = 0; i < 5; i++) await gw('https://api.example.com/items/1');
      expect(await gatewayVersion(newer)).toBe(newer);
      let reason: string | undefined;
      for (let i = 0; i < 50 && !reason?.startsWith('older_than_current'); i++) {
        const status = (await (await testEnv.CONTROL_HTTP.fetch('https://control/v1/status', { headers: { authorization: `Bearer ${testEnv.TEST_READ_TOKEN}` } })).json()) as {
          nodes: { nodeId: string; rejected: { version: string; reason: string } | null }[];
        };
        reason = status.nodes.find((n) => n.nodeId === 'gw-test')?.rejected?.reason;
        if (!reason?.startsWith('older_than_current')) await gw('https://api.example.com/items/1');
      }
      expect(reason).toMatch(/^older_than_current/);
    } finally {
      await testEnv.SNAPSHOTS.put('snapshot/current', good as string, { metadata: { version: newer } });
      version = newer;
    }
  });

  it('refuses a badly signed snapshot, reports it to control, and keeps enforcing the last good one', async () => {
    const good = await testEnv.SNAPSHOTS.get('snapshot/current');
    const [h, p, s] = (good as string).split('.');
    const tampered = `${h}.${(p as string).slice(0, -4)}AAAA.${s}`;
    const bogus = 'e'.repeat(64);
    await testEnv.SNAPSHOTS.put('snapshot/current', tampered, { metadata: { version: bogus } });
    try {
      const e = await echo(await gw('https://api.example.com/items/7'));
      expect(e.upstream).toBe('stable');
      const health = (await (await gw('https://api.example.com/__weft/health')).json()) as { snapshot: string };
      expect(health.snapshot).toBe(version);
      const status = (await (await testEnv.CONTROL_HTTP.fetch('https://control/v1/status', { headers: { authorization: `Bearer ${testEnv.TEST_READ_TOKEN}` } })).json()) as {
        nodes: { nodeId: string; appliedVersion: string; rejected: { version: string; reason: string } | null; lastKnownGood: boolean }[];
      };
      const node = status.nodes.find((n) => n.nodeId === 'gw-test');
      expect(node).toMatchObject({ appliedVersion: version, rejected: { version: bogus }, lastKnownGood: true });
      expect(node?.rejected?.reason).toMatch(/^bad_signature|^malformed/);
    } finally {
      await testEnv.SNAPSHOTS.put('snapshot/current', good as string, { metadata: { version } });
    }
  });
});
