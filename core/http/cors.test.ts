import { describe, expect, it } from 'vitest';
import type { CompiledCors } from '../policy/route/compile.ts';
import { allowedOrigin, corsPreflight, corsResponseHeaders } from './cors.ts';

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

  it('answers an allowed preflight with 204 and the allow headers', () => {
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
        'access-control-allow-headers': 'content-type, authorization',
        'access-control-max-age': '600',
        vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
      },
    });
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

  it('with credentials: echoes the origin and says allow-credentials; no max-age when unset', () => {
    const d = corsPreflight(cors({ allowCredentials: true, maxAgeSeconds: null }), request('OPTIONS', { origin: 'https://x.example.org', 'access-control-request-method': 'GET' }));
    expect(d.kind === 'preflight' && d.headers).toMatchObject({ 'access-control-allow-origin': 'https://x.example.org', 'access-control-allow-credentials': 'true' });
    expect(d.kind === 'preflight' && d.headers['access-control-max-age']).toBeUndefined();
  });

  it('`*` origins without credentials answer `*`; `*` headers allow any header', () => {
    const d = corsPreflight(
      cors({ allowOrigins: ['*'], allowHeaders: ['*'] }),
      request('OPTIONS', { origin: 'https://a.test', 'access-control-request-method': 'GET', 'access-control-request-headers': 'x-anything' }),
    );
    expect(d.kind === 'preflight' && d.headers['access-control-allow-origin']).toBe('*');
    expect(d.kind === 'preflight' && d.headers['access-control-allow-headers']).toBe('x-anything');
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
    expect(corsResponseHeaders(cors({ allowOrigins: ['*'] }), null)).toEqual({});
  });
});
