import { describe, expect, it } from 'vitest';
import type { CompiledCors } from '../policy/route/compile.ts';
import { allowedOrigin, corsPreflight, corsResponseHeaders, exposedHeaderNames } from './cors.ts';

const cors = (over: Partial<CompiledCors> = {}): CompiledCors => ({
  allowOrigins: ['https://app.example.com', 'https://*.example.org', 'http://localhost:5173'],
  allowMethods: ['GET', 'HEAD', 'POST', 'PUT'],
  allowHeaders: ['authorization', 'content-type'],
  exposeHeaders: ['x-request-id'],
  maxAgeSeconds: 600,
  allowCredentials: false,
  ...over,
});

const request = (method: string, headers: Record<string, string>) => ({ method, headers: new Headers(headers) });

describe('allowedOrigin', () => {
  const rows: [string, string | null, boolean][] = [
    ['exact', 'https://app.example.com', true],
    ['exact, other case', 'HTTPS://App.Example.com', true],
    ['exact, other scheme', 'http://app.example.com', false],
    ['exact, other port', 'https://app.example.com:8443', false],
    ['exact, the scheme’s default port written', 'https://app.example.com:443', true],
    ['exact with port', 'http://localhost:5173', true],
    ['wildcard one label', 'https://a.example.org', true],
    ['wildcard two labels', 'https://a.b.example.org', true],
    ['wildcard excludes the apex', 'https://example.org', false],
    ['wildcard needs a dot boundary', 'https://evilexample.org', false],
    ['wildcard, suffix attack', 'https://a.example.org.evil.com', false],
    ['wildcard, other scheme', 'http://a.example.org', false],
    ['wildcard, with a port not in the pattern', 'https://a.example.org:444', false],
    ['null origin', 'null', false],
    ['absent', null, false],
    ['with a path', 'https://app.example.com/x', false],
  ];
  it.each(rows)('%s: %s → %s', (_name, origin, ok) => {
    expect(allowedOrigin(cors(), origin) !== undefined).toBe(ok);
  });

  it('`https://*` allows any host of that scheme and port', () => {
    const c = cors({ allowOrigins: ['https://*'] });
    expect(allowedOrigin(c, 'https://any.test')).toBe('https://any.test');
    expect(allowedOrigin(c, 'http://any.test')).toBeUndefined();
    expect(allowedOrigin(c, 'https://any.test:8443')).toBeUndefined();
  });

  it('`*` allows any origin, even `null`', () => {
    expect(allowedOrigin(cors({ allowOrigins: ['*'] }), 'https://anything.test')).toBe('https://anything.test');
    expect(allowedOrigin(cors({ allowOrigins: ['*'] }), 'null')).toBe('null');
  });
});

describe('corsPreflight', () => {
  it('is not a preflight without OPTIONS, Origin and Access-Control-Request-Method', () => {
    expect(corsPreflight(cors(), request('GET', { origin: 'https://app.example.com', 'access-control-request-method': 'PUT' }))).toEqual({ kind: 'not-preflight' });
    expect(corsPreflight(cors(), request('OPTIONS', { 'access-control-request-method': 'PUT' }))).toEqual({ kind: 'not-preflight' });
    expect(corsPreflight(cors(), request('OPTIONS', { origin: 'https://app.example.com' }))).toEqual({ kind: 'not-preflight' });
  });

  it('answers an allowed preflight with 204 and the allow headers: the configured lists, as the Gateway API says', () => {
    const d = corsPreflight(
      cors(),
      request('OPTIONS', { origin: 'https://app.example.com', 'access-control-request-method': 'put', 'access-control-request-headers': 'Content-Type, Authorization' }),
    );
    expect(d).toEqual({
      kind: 'preflight',
      status: 204,
      headers: {
        'access-control-allow-origin': 'https://app.example.com',
        'access-control-allow-methods': 'GET, HEAD, POST, PUT',
        'access-control-allow-headers': 'authorization, content-type',
        'access-control-expose-headers': 'x-request-id',
        'access-control-max-age': '600',
        vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
      },
    });
  });

  it('always allows the safelisted methods GET, HEAD and POST, answering the configured list', () => {
    const d = corsPreflight(cors({ allowMethods: ['PUT'] }), request('OPTIONS', { origin: 'https://app.example.com', 'access-control-request-method': 'POST' }));
    expect(d.kind === 'preflight' && d.headers['access-control-allow-methods']).toBe('PUT');
  });

  it.each([
    ['an origin not listed', { origin: 'https://evil.test', 'access-control-request-method': 'GET' }, 'origin https://evil.test is not allowed'],
    ['a method not listed', { origin: 'https://app.example.com', 'access-control-request-method': 'DELETE' }, 'method DELETE is not allowed (allowed: GET, HEAD, POST, PUT)'],
    [
      'a header not listed',
      { origin: 'https://app.example.com', 'access-control-request-method': 'GET', 'access-control-request-headers': 'content-type, x-debug' },
      'request headers not allowed: x-debug',
    ],
  ])('rejects %s with 403', (_name, headers, reason) => {
    expect(corsPreflight(cors(), request('OPTIONS', headers))).toEqual({ kind: 'rejected', status: 403, reason });
  });

  it('with credentials: echoes the origin and says allow-credentials', () => {
    const d = corsPreflight(cors({ allowCredentials: true }), request('OPTIONS', { origin: 'https://x.example.org', 'access-control-request-method': 'GET' }));
    expect(d.kind === 'preflight' && d.headers).toMatchObject({ 'access-control-allow-origin': 'https://x.example.org', 'access-control-allow-credentials': 'true' });
  });

  it('answers the configured max age (the compiler fills the Gateway API default of 5s)', () => {
    const d = corsPreflight(cors({ maxAgeSeconds: 5 }), request('OPTIONS', { origin: 'https://app.example.com', 'access-control-request-method': 'GET' }));
    expect(d.kind === 'preflight' && d.headers['access-control-max-age']).toBe('5');
  });

  // The Gateway API conformance case HTTPRouteCORS, /cors-1.
  it('lists the configured methods, headers and exposed headers', () => {
    const c = cors({
      allowOrigins: ['https://www.foo.com', 'https://*.bar.com'],
      allowMethods: ['GET', 'OPTIONS'],
      allowHeaders: ['x-header-1', 'x-header-2'],
      exposeHeaders: ['x-header-3', 'x-header-4'],
      allowCredentials: true,
      maxAgeSeconds: 3600,
    });
    const d = corsPreflight(c, request('OPTIONS', { origin: 'https://xpto.www.bar.com', 'access-control-request-method': 'GET', 'access-control-request-headers': 'x-header-1, x-header-2' }));
    expect(d).toEqual({
      kind: 'preflight',
      status: 204,
      headers: {
        'access-control-allow-origin': 'https://xpto.www.bar.com',
        'access-control-allow-methods': 'GET, OPTIONS',
        'access-control-allow-headers': 'x-header-1, x-header-2',
        'access-control-expose-headers': 'x-header-3, x-header-4',
        'access-control-allow-credentials': 'true',
        'access-control-max-age': '3600',
        vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
      },
    });
  });

  const WILD = { allowOrigins: ['*'], allowMethods: ['*'], allowHeaders: ['*'], exposeHeaders: ['*'] };
  const ASK = { origin: 'https://other.foo.com', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'X-Header-1, x-header-2' };

  it('`*` without credentials: answers `*` for origin, methods, headers and exposed headers', () => {
    const d = corsPreflight(cors(WILD), request('OPTIONS', ASK));
    expect(d.kind === 'preflight' && d.headers).toMatchObject({
      'access-control-allow-origin': '*',
      'access-control-allow-methods': '*',
      'access-control-allow-headers': '*',
      'access-control-expose-headers': '*',
    });
    expect(d.kind === 'preflight' && d.headers['access-control-allow-credentials']).toBeUndefined();
  });

  it('`*` with credentials: never `*`; the origin, the one method and the headers asked for', () => {
    const d = corsPreflight(cors({ ...WILD, allowCredentials: true }), request('OPTIONS', ASK));
    expect(d.kind === 'preflight' && d.headers).toMatchObject({
      'access-control-allow-origin': 'https://other.foo.com',
      'access-control-allow-methods': 'PUT',
      'access-control-allow-headers': 'x-header-1, x-header-2',
      'access-control-allow-credentials': 'true',
    });
    // Nothing names the response's headers before there is a response.
    expect(d.kind === 'preflight' && d.headers['access-control-expose-headers']).toBeUndefined();
    const noHeaders = corsPreflight(cors({ ...WILD, allowCredentials: true }), request('OPTIONS', { origin: 'https://a.test', 'access-control-request-method': 'DELETE' }));
    expect(noHeaders.kind === 'preflight' && noHeaders.headers['access-control-allow-headers']).toBeUndefined();
  });
});

describe('corsResponseHeaders', () => {
  it('allowed origin: allow-origin, expose headers, Vary: Origin', () => {
    expect(corsResponseHeaders(cors(), 'https://app.example.com')).toEqual({
      vary: 'Origin',
      'access-control-allow-origin': 'https://app.example.com',
      'access-control-expose-headers': 'x-request-id',
    });
  });

  it('credentials', () => {
    expect(corsResponseHeaders(cors({ allowCredentials: true, exposeHeaders: [] }), 'https://app.example.com')).toEqual({
      vary: 'Origin',
      'access-control-allow-origin': 'https://app.example.com',
      'access-control-allow-credentials': 'true',
    });
  });

  it('refused or absent origin: only Vary, so caches keep answers apart', () => {
    expect(corsResponseHeaders(cors(), 'https://evil.test')).toEqual({ vary: 'Origin' });
    expect(corsResponseHeaders(cors(), null)).toEqual({ vary: 'Origin' });
  });

  it('`*` without credentials: a constant answer, no Vary', () => {
    expect(corsResponseHeaders(cors({ allowOrigins: ['*'], exposeHeaders: [] }), 'https://a.test')).toEqual({ 'access-control-allow-origin': '*' });
    expect(corsResponseHeaders(cors({ allowOrigins: ['*'], exposeHeaders: ['*'] }), 'https://a.test')).toEqual({ 'access-control-allow-origin': '*', 'access-control-expose-headers': '*' });
    expect(corsResponseHeaders(cors({ allowOrigins: ['*'] }), null)).toEqual({});
  });

  it('`*` origins with credentials: the origin echoed, Vary: Origin', () => {
    expect(corsResponseHeaders(cors({ allowOrigins: ['*'], exposeHeaders: ['*'], allowCredentials: true }), 'https://a.test')).toEqual({
      vary: 'Origin',
      'access-control-allow-origin': 'https://a.test',
      'access-control-allow-credentials': 'true',
    });
  });
});

describe('exposedHeaderNames', () => {
  const names = ['Content-Type', 'x-total', 'etag', 'set-cookie', 'access-control-allow-origin', 'x-total'];

  it('with credentials and `*`: the response’s own header names, less the safelisted and CORS ones', () => {
    expect(exposedHeaderNames(cors({ exposeHeaders: ['*'], allowCredentials: true }), 'https://app.example.com', names)).toBe('x-total, etag');
  });

  it('nothing to add otherwise: no credentials, a listed set, or an origin not allowed', () => {
    expect(exposedHeaderNames(cors({ exposeHeaders: ['*'] }), 'https://app.example.com', names)).toBeUndefined();
    expect(exposedHeaderNames(cors({ allowCredentials: true }), 'https://app.example.com', names)).toBeUndefined();
    expect(exposedHeaderNames(cors({ exposeHeaders: ['*'], allowCredentials: true }), 'https://evil.test', names)).toBeUndefined();
    expect(exposedHeaderNames(cors({ exposeHeaders: ['*'], allowCredentials: true }), 'https://app.example.com', ['content-type'])).toBeUndefined();
  });
});
