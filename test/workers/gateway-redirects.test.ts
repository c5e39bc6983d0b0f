// Redirects through the real gateway, as the Gateway API's conformance cases ask them
// (httproute-redirect-path, -port, -port-and-scheme): the matched prefix replaced, and a
// Location without scheme or port on the gateway's listener port (Cloudflare's 443 and 80
// here: no LISTENER_PORT binding), never the port the client's Host names. And what a HEAD
// request gets when the gateway answers it itself: the status, no body, no Content-Type.
import { beforeAll, describe, expect, it } from 'vitest';
import { apiService, gw, pushPolicy, route } from './gateway-support.ts';

beforeAll(async () => {
  const redirect = (name: string, prefix: string, to: string) => [`    - name: ${name}`, `      matches: [{ path: { prefix: ${prefix} } }]`, `      redirect: ${to}`];
  await pushPolicy(
    apiService(),
    route(
      'redirects',
      'redirect.example.com',
      [
        ...redirect('original-prefix', '/original-prefix', '{ pathPrefix: /replacement-prefix }'),
        ...redirect('full', '/full', '{ path: /full-path-replacement }'),
        ...redirect('path-and-host', '/path-and-host', '{ host: example.org, pathPrefix: /replacement-prefix }'),
        ...redirect('path-and-status', '/path-and-status', '{ pathPrefix: /replacement-prefix, statusCode: 301 }'),
        ...redirect('strip', '/strip-prefix', '{ pathPrefix: / }'),
        ...redirect('scheme-nil-and-port-nil', '/scheme-nil-and-port-nil', '{ host: example.org }'),
        ...redirect('scheme-nil-and-port-80', '/scheme-nil-and-port-80', '{ host: example.org, port: 80 }'),
        ...redirect('scheme-nil-and-port-8080', '/scheme-nil-and-port-8080', '{ host: example.org, port: 8080 }'),
        ...redirect('scheme-https-and-port-nil', '/scheme-https-and-port-nil', '{ host: example.org, scheme: https }'),
        ...redirect('scheme-https-and-port-443', '/scheme-https-and-port-443', '{ host: example.org, scheme: https, port: 443 }'),
        ...redirect('scheme-https-and-port-8443', '/scheme-https-and-port-8443', '{ host: example.org, scheme: https, port: 8443 }'),
        ...redirect('scheme-http-and-port-nil', '/scheme-http-and-port-nil', '{ host: example.org, scheme: http }'),
        ...redirect('port', '/port', '{ port: 8083 }'),
        '    - name: served',
        '      matches: [{ path: { prefix: /served } }]',
        '      backends: [{ service: api, subset: stable }]',
        '      rewrite: { pathPrefix: / }',
      ].join('\n'),
    ),
  );
});

async function location(url: string, init: RequestInit = {}): Promise<[number, string | null]> {
  const res = await gw(url, { redirect: 'manual', ...init });
  return [res.status, res.headers.get('location')];
}

describe('redirects, as the Gateway API conformance cases ask them', () => {
  it('replaces the matched prefix (ReplacePrefixMatch) or the whole path', async () => {
    expect(await location('http://redirect.example.com/original-prefix/lemon')).toEqual([302, 'http://redirect.example.com/replacement-prefix/lemon']);
    expect(await location('http://redirect.example.com/full/path/original')).toEqual([302, 'http://redirect.example.com/full-path-replacement']);
    expect(await location('http://redirect.example.com/path-and-host')).toEqual([302, 'http://example.org/replacement-prefix']);
    expect(await location('http://redirect.example.com/path-and-status')).toEqual([301, 'http://redirect.example.com/replacement-prefix']);
    expect(await location('https://redirect.example.com/original-prefix/?q=1')).toEqual([302, 'https://redirect.example.com/replacement-prefix/?q=1']);
    expect(await location('https://redirect.example.com/strip-prefix/three')).toEqual([302, 'https://redirect.example.com/three']);
    expect(await location('https://redirect.example.com/strip-prefix')).toEqual([302, 'https://redirect.example.com/']);
  });

  it('an HTTP listener on 80: the Location’s port by the spec’s rules', async () => {
    const on80 = (path: string) => location(`http://redirect.example.com${path}`);
    expect(await on80('/scheme-nil-and-port-nil')).toEqual([302, 'http://example.org/scheme-nil-and-port-nil']);
    expect(await on80('/scheme-nil-and-port-80')).toEqual([302, 'http://example.org/scheme-nil-and-port-80']);
    expect(await on80('/scheme-nil-and-port-8080')).toEqual([302, 'http://example.org:8080/scheme-nil-and-port-8080']);
    expect(await on80('/scheme-https-and-port-nil')).toEqual([302, 'https://example.org/scheme-https-and-port-nil']);
    expect(await on80('/scheme-https-and-port-443')).toEqual([302, 'https://example.org/scheme-https-and-port-443']);
    expect(await on80('/scheme-https-and-port-8443')).toEqual([302, 'https://example.org:8443/scheme-https-and-port-8443']);
    expect(await on80('/port')).toEqual([302, 'http://redirect.example.com:8083/port']);
  });

  it('an HTTPS listener on 443: scheme kept, its port not written', async () => {
    expect(await location('https://redirect.example.com/scheme-nil-and-port-nil')).toEqual([302, 'https://example.org/scheme-nil-and-port-nil']);
    expect(await location('https://redirect.example.com/scheme-http-and-port-nil')).toEqual([302, 'http://example.org/scheme-http-and-port-nil']);
  });

  it('keeps the listener’s port, not the one the client’s Host names', async () => {
    expect(await location('http://redirect.example.com:8080/scheme-nil-and-port-nil')).toEqual([302, 'http://example.org/scheme-nil-and-port-nil']);
    expect(await location('https://redirect.example.com:8443/original-prefix/a')).toEqual([302, 'https://redirect.example.com/replacement-prefix/a']);
  });

  it('answers a redirected HEAD the same way, without a body', async () => {
    const res = await gw('http://redirect.example.com/original-prefix/lemon', { method: 'HEAD', redirect: 'manual' });
    expect([res.status, res.headers.get('location'), res.headers.get('content-type'), await res.text()]).toEqual([302, 'http://redirect.example.com/replacement-prefix/lemon', null, '']);
  });
});

describe('what the gateway answers HEAD itself', () => {
  it('a refusal: the status and the headers that belong to it, no body, no Content-Type', async () => {
    const get = await gw('https://redirect.example.com/nowhere');
    expect([get.status, get.headers.get('content-type')]).toEqual([404, 'application/json']);
    expect(((await get.json()) as { error: { code: string } }).error.code).toBe('no_route');
    const head = await gw('https://redirect.example.com/nowhere', { method: 'HEAD' });
    expect([head.status, head.headers.get('content-type'), await head.text()]).toEqual([404, null, '']);
    const unknownHost = await gw('https://nobody.example.com/', { method: 'HEAD' });
    expect([unknownHost.status, unknownHost.headers.get('content-type'), await unknownHost.text()]).toEqual([404, null, '']);
  });

  it('the upstream’s own answer to HEAD passes as it is', async () => {
    const res = await gw('https://redirect.example.com/served/status/404', { method: 'HEAD' });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.text()).toBe('');
  });
});
