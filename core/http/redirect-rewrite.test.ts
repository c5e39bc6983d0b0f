import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { redirectLocation, rewritePath } from './redirect-rewrite.ts';
import type { CompiledRedirect, CompiledRewrite } from './redirect-rewrite.ts';

const redirect = (over: Partial<CompiledRedirect>): CompiledRedirect => ({ scheme: null, host: null, port: null, path: null, statusCode: 302, ...over });
const prefix = (pathPrefix: string): CompiledRewrite => ({ pathPrefix, path: null, host: null });

describe('redirectLocation', () => {
  const rows: [string, Partial<CompiledRedirect>, string, string][] = [
    ['http → https drops the default port', { scheme: 'https' }, 'http://example.com/a?b=1', 'https://example.com/a?b=1'],
    ['http → https drops a non-default port too', { scheme: 'https' }, 'http://example.com:8080/a', 'https://example.com/a'],
    ['scheme with an explicit port', { scheme: 'https', port: 8443 }, 'http://example.com/a', 'https://example.com:8443/a'],
    ['the default port is never written', { scheme: 'https', port: 443 }, 'http://example.com/a', 'https://example.com/a'],
    ['host only keeps scheme and port', { host: 'new.example.com' }, 'http://old.example.com:8787/a', 'http://new.example.com:8787/a'],
    ['path replaces the path, keeps the query', { path: '/v2/login' }, 'https://example.com/login?next=%2Fhome', 'https://example.com/v2/login?next=%2Fhome'],
    ['port only', { port: 9000 }, 'https://example.com/a', 'https://example.com:9000/a'],
    ['everything', { scheme: 'http', host: 'b.test', port: 81, path: '/' }, 'https://a.test:444/x?y', 'http://b.test:81/?y'],
    ['nothing: the same URL', {}, 'https://example.com/a?b', 'https://example.com/a?b'],
    ['a fragment is dropped', {}, 'https://example.com/a#frag', 'https://example.com/a'],
  ];
  it.each(rows)('%s', (_name, over, url, location) => {
    expect(redirectLocation(redirect(over), url)).toBe(location);
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
