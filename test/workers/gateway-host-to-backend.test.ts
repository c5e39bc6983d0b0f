// What a backend behind the real gateway sees of the host the client asked for. Workers
// write a subrequest's Host from its URL (workerd too: a Host header set on fetch is
// replaced), so a try to an endpoint's address gives the backend `Host: address:port`; the
// client's Host, its port kept, or the rule's rewrite.host, goes as X-Forwarded-Host. (The
// `cf.resolveOverride` path that keeps the Host within a Cloudflare zone, ZONE_NAMES, runs
// only on Cloudflare's edge: workerd resolves the URL's own host. Its decision is
// core/http/edge-upstream-target.ts, tested there.)
import { beforeAll, describe, expect, it } from 'vitest';
import { apiService, echo, gw, PORTS, pushPolicy, route } from './gateway-support.ts';

beforeAll(async () => {
  await pushPolicy(
    apiService(),
    ['apiVersion: weft/v1', 'kind: Service', 'metadata: { name: named }', 'spec:', '  endpoints:', `    - { address: localhost, port: ${PORTS.stable} }`].join('\n'),
    route(
      'hosts',
      'host.example.com',
      [
        '    - name: plain',
        '      matches: [{ path: { prefix: /plain } }]',
        '      backends: [{ service: api, subset: stable }]',
        '    - name: rewritten',
        '      matches: [{ path: { prefix: /rewritten } }]',
        '      backends: [{ service: api, subset: stable }]',
        '      rewrite: { host: internal.example }',
        '    - name: by-name',
        '      matches: [{ path: { prefix: /by-name } }]',
        '      backends: [{ service: named }]',
      ].join('\n'),
    ),
  );
});

describe('the Host a backend sees behind the gateway', () => {
  it('the endpoint’s address and port; the client’s Host, its port kept, as X-Forwarded-Host', async () => {
    const e = await echo(await gw('https://host.example.com:8443/plain?x=1', { headers: { 'x-forwarded-host': 'evil.example' } }));
    expect(e.upstream).toBe('stable');
    expect(e.headers.host).toBe(`127.0.0.1:${PORTS.stable}`);
    expect(e.headers['x-forwarded-host']).toBe('host.example.com:8443');
    expect(e.headers['x-forwarded-proto']).toBe('https');
    const plain = await echo(await gw('http://host.example.com/plain'));
    expect(plain.headers['x-forwarded-host']).toBe('host.example.com');
  });

  it('a rule’s rewrite.host goes as X-Forwarded-Host', async () => {
    const e = await echo(await gw('https://host.example.com/rewritten'));
    expect(e.headers.host).toBe(`127.0.0.1:${PORTS.stable}`);
    expect(e.headers['x-forwarded-host']).toBe('internal.example');
  });

  it('an endpoint given by host name outside any listed zone: that name and port', async () => {
    const e = await echo(await gw('https://host.example.com/by-name'));
    expect(e.headers.host).toBe(`localhost:${PORTS.stable}`);
    expect(e.headers['x-forwarded-host']).toBe('host.example.com');
  });
});
