import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { redirectLocation, replacePathPrefix, rewritePath } from './redirect-rewrite.ts';
import type { CompiledRedirect, CompiledRewrite, RedirectSource } from './redirect-rewrite.ts';

const redirect = (over: Partial<CompiledRedirect>): CompiledRedirect => ({ scheme: null, host: null, port: null, path: null, pathPrefix: null, statusCode: 302, ...over });
const prefix = (pathPrefix: string): CompiledRewrite => ({ pathPrefix, path: null, host: null });
const source = (over: Partial<RedirectSource>): RedirectSource => ({ scheme: 'http', hostname: 'example.com', listenerPort: 80, path: '/a', query: '', matchedPrefix: null, ...over });

describe('replacePathPrefix', () => {
  // The Gateway API's table (HTTPPathModifier.ReplacePrefixMatch), row by row; an empty
  // replacement is written `/` in Weft (a path starts with `/`), the same rows.
  const rows: [path: string, matched: string, replacement: string, out: string][] = [
    ['/foo/bar', '/foo', '/xyz', '/xyz/bar'],
    ['/foo/bar', '/foo', '/xyz/', '/xyz/bar'],
    ['/foo/bar', '/foo/', '/xyz', '/xyz/bar'],
    ['/foo/bar', '/foo/', '/xyz/', '/xyz/bar'],
    ['/foo', '/foo', '/xyz', '/xyz'],
    ['/foo/', '/foo', '/xyz', '/xyz/'],
    ['/foo/bar', '/foo', '', '/bar'],
    ['/foo/', '/foo', '', '/'],
    ['/foo', '/foo', '', '/'],
    ['/foo/', '/foo', '/', '/'],
    ['/foo', '/foo', '/', '/'],
    ['/foo/bar', '/foo', '/', '/bar'],
  ];
  it.each(rows)('%s under %s → %s is %s', (path, matched, replacement, out) => {
    expect(replacePathPrefix(path, matched, replacement)).toBe(out);
  });

  it('is null when the prefix does not hold segment-wise', () => {
    expect(replacePathPrefix('/foobar', '/foo', '/xyz')).toBeNull();
    expect(replacePathPrefix('/bar', '/foo', '/xyz')).toBeNull();
  });
});

describe('redirectLocation', () => {
  // [name, redirect, request as received, Location]
  const rows: [string, Partial<CompiledRedirect>, Partial<RedirectSource>, string][] = [
    // Gateway API: port unset and scheme set → that scheme's well-known port.
    ['http → https drops the default port', { scheme: 'https' }, { query: 'b=1' }, 'https://example.com/a?b=1'],
    ['scheme set: its well-known port, not the listener’s', { scheme: 'https' }, { listenerPort: 8080 }, 'https://example.com/a'],
    ['scheme http from an https listener on 443', { scheme: 'http' }, { scheme: 'https', listenerPort: 443 }, 'http://example.com/a'],
    ['scheme with an explicit port', { scheme: 'https', port: 8443 }, {}, 'https://example.com:8443/a'],
    ['the well-known port is never written', { scheme: 'https', port: 443 }, {}, 'https://example.com/a'],
    ['http with port 80 written as none', { scheme: 'http', port: 80 }, { scheme: 'https', listenerPort: 443 }, 'http://example.com/a'],
    // Gateway API: neither scheme nor port → the listener's port, never the Host's.
    ['neither: the listener port (8080)', { host: 'example.org' }, { listenerPort: 8080 }, 'http://example.org:8080/a'],
    ['neither: the listener port (80) not written', { host: 'example.org' }, { listenerPort: 80 }, 'http://example.org/a'],
    ['neither, on an https listener on 443', { host: 'example.org' }, { scheme: 'https', listenerPort: 443 }, 'https://example.org/a'],
    ['neither, https listener on 8443', { host: 'example.org' }, { scheme: 'https', listenerPort: 8443 }, 'https://example.org:8443/a'],
    ['port only keeps the scheme', { port: 8083 }, {}, 'http://example.com:8083/a'],
    ['port 80 on an http request is not written', { port: 80, host: 'example.org' }, { listenerPort: 8080 }, 'http://example.org/a'],
    ['port 443 on an http request is written', { port: 443 }, {}, 'http://example.com:443/a'],
    ['path replaces the path, keeps the query', { path: '/v2/login' }, { path: '/login', query: 'next=%2Fhome' }, 'http://example.com/v2/login?next=%2Fhome'],
    ['pathPrefix replaces the matched prefix', { pathPrefix: '/replacement-prefix' }, { path: '/original-prefix/lemon', matchedPrefix: '/original-prefix' }, 'http://example.com/replacement-prefix/lemon'],
    ['pathPrefix on the prefix itself', { pathPrefix: '/replacement-prefix' }, { path: '/path-and-host', matchedPrefix: '/path-and-host' }, 'http://example.com/replacement-prefix'],
    ['pathPrefix / strips the prefix', { pathPrefix: '/' }, { path: '/prefix/one/two', matchedPrefix: '/prefix' }, 'http://example.com/one/two'],
    ['pathPrefix keeps the query', { pathPrefix: '/one' }, { path: '/prefix/one', matchedPrefix: '/prefix/one', query: 'x=1' }, 'http://example.com/one?x=1'],
    ['everything', { scheme: 'http', host: 'b.test', port: 81, path: '/' }, { scheme: 'https', hostname: 'a.test', listenerPort: 444, query: 'y' }, 'http://b.test:81/?y'],
    ['nothing: the request’s URL on its listener', {}, { scheme: 'https', listenerPort: 443, query: 'b' }, 'https://example.com/a?b'],
    ['an IPv6 host', {}, { hostname: '[::1]', listenerPort: 8787 }, 'http://[::1]:8787/a'],
  ];
  it.each(rows)('%s', (_name, over, from, location) => {
    expect(redirectLocation(redirect(over), source(from))).toBe(location);
  });

  it('is null when it needs the listener port and the client named a port no URL can hold', () => {
    expect(redirectLocation(redirect({}), source({ listenerPort: null }))).toBeNull();
    expect(redirectLocation(redirect({ scheme: 'https' }), source({ listenerPort: null }))).toBe('https://example.com/a');
  });

  it('is null for a host no URL can hold', () => {
    expect(redirectLocation(redirect({ host: 'bad host' }), source({}))).toBeNull();
  });
});

describe('rewritePath', () => {
  const rows: [string, string | null, CompiledRewrite, string][] = [
    ['/api/users', '/api', prefix('/v2'), '/v2/users'],
    ['/api', '/api', prefix('/v2'), '/v2'],
    ['/api/', '/api', prefix('/v2'), '/v2/'],
    ['/api/users', '/api', prefix('/v2/'), '/v2/users'],
    ['/api/users', '/api', prefix('/'), '/users'],
    ['/api', '/api', prefix('/'), '/'],
    ['/api/', '/api', prefix('/'), '/'],
    ['/users', '/', prefix('/v2'), '/v2/users'],
    ['/', '/', prefix('/v2'), '/v2'],
    ['/', '/', prefix('/'), '/'],
    ['/api/users', '/api/', prefix('/v2'), '/v2/users'],
    ['/apiv2/users', '/api', prefix('/v2'), '/apiv2/users'], // not a segment match: unchanged
    ['/api/users', null, prefix('/v2'), '/api/users'],
    ['/api/users', '/api', { pathPrefix: null, path: '/fixed', host: null }, '/fixed'],
    ['/api/users', '/api', { pathPrefix: null, path: null, host: 'x' }, '/api/users'],
  ];
  it.each(rows)('%s (matched %s, %o) → %s', (path, matched, rewrite, out) => {
    expect(rewritePath(path, matched, rewrite)).toBe(out);
  });

  const segment = fc.stringMatching(/^[a-z0-9._~-]{1,6}$/);
  const pathOf = (segs: string[], trailing: boolean) => `/${segs.join('/')}${trailing && segs.length > 0 ? '/' : ''}`;

  it('property: never produces //, always starts with /, and keeps what follows the prefix', () => {
    fc.assert(
      fc.property(
        fc.array(segment, { maxLength: 3 }),
        fc.array(segment, { maxLength: 3 }),
        fc.boolean(),
        fc.array(segment, { maxLength: 3 }),
        fc.boolean(),
        (prefixSegs, restSegs, trailing, toSegs, toTrailing) => {
          const matched = pathOf(prefixSegs, false);
          const path = pathOf([...prefixSegs, ...restSegs], trailing);
          const out = rewritePath(path, matched, prefix(pathOf(toSegs, toTrailing)));
          expect(out.startsWith('/')).toBe(true);
          expect(out).not.toContain('//');
          if (restSegs.length > 0) expect(out.endsWith(pathOf(restSegs, trailing))).toBe(true);
        },
      ),
    );
  });
});
