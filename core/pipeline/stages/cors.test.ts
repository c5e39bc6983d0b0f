// cors: preflights answered at the edge (never forwarded), refused ones 403, and the allow
// headers added to an actual request's answer.
import { beforeAll, describe, expect, it } from 'vitest';
import type { SnapshotRuntime } from '../../runtime/snapshot-runtime.ts';
import { apiPolicy, fixture, runAll, runtimeOf } from '../../../test/support/pipeline-fixture.ts';
import type { RequestSpec } from '../../../test/support/pipeline-fixture.ts';
import { corsStage } from './cors.ts';
import { matchEdgeRouteStage } from './match-route.ts';
import { normalizePathStage } from './normalize-path.ts';

const POLICY = apiPolicy(`  - name: v1
    matches:
      - path: { prefix: /v1 }
    backends: [{ service: api }]
    cors:
      allowOrigins: ["https://app.example.com", "https://*.preview.example.com"]
      allowMethods: [GET, POST]
      allowHeaders: [Content-Type, authorization]
      exposeHeaders: [x-total]
      maxAge: 10m
      allowCredentials: true
  - name: plain
    matches:
      - path: { prefix: /plain }
    backends: [{ service: api }]`);

let runtime: SnapshotRuntime;
beforeAll(async () => {
  runtime = await runtimeOf(POLICY);
});

async function cors(request: RequestSpec) {
  const f = fixture({ runtime, request });
  expect(await runAll(f.c, [normalizePathStage, matchEdgeRouteStage])).toBeUndefined();
  return { ...f, answer: corsStage(f.c) };
}

const PREFLIGHT = { method: 'OPTIONS', path: '/v1/items' };

describe('cors stage', () => {
  it('answers an allowed preflight itself: 204 with the allow headers, no body', async () => {
    const { answer, c } = await cors({
      ...PREFLIGHT,
      headers: { origin: 'https://App.example.com', 'access-control-request-method': 'post', 'access-control-request-headers': 'Content-Type' },
    });
    expect(answer).toEqual({
      status: 204,
      code: null,
      message: '',
      headers: {
        'access-control-allow-origin': 'https://app.example.com',
        'access-control-allow-methods': 'GET, POST',
        vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
        'access-control-allow-headers': 'authorization, content-type',
        'access-control-expose-headers': 'x-total',
        'access-control-allow-credentials': 'true',
        'access-control-max-age': '600',
      },
    });
    expect(c.responseHeaders).toEqual([]);
  });

  it('refuses a preflight from an origin not allowed: 403 cors_rejected', async () => {
    const { answer } = await cors({ ...PREFLIGHT, headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' } });
    expect(answer).toEqual({ status: 403, code: 'cors_rejected', message: 'origin https://evil.example is not allowed', headers: {} });
  });

  it('refuses a preflight for a method or header not allowed', async () => {
    const method = await cors({ ...PREFLIGHT, headers: { origin: 'https://app.example.com', 'access-control-request-method': 'DELETE' } });
    expect(method.answer).toEqual({ status: 403, code: 'cors_rejected', message: 'method DELETE is not allowed (allowed: GET, POST)', headers: {} });
    const header = await cors({
      ...PREFLIGHT,
      headers: { origin: 'https://a.preview.example.com', 'access-control-request-method': 'GET', 'access-control-request-headers': 'x-secret, authorization' },
    });
    expect(header.answer).toEqual({ status: 403, code: 'cors_rejected', message: 'request headers not allowed: x-secret', headers: {} });
  });

  it('lets an actual request go on, with the allow headers for its answer', async () => {
    const { answer, c } = await cors({ path: '/v1/items', headers: { origin: 'https://app.example.com' } });
    expect(answer).toBeUndefined();
    expect(c.responseHeaders).toEqual([
      ['vary', 'Origin'],
      ['access-control-allow-origin', 'https://app.example.com'],
      ['access-control-allow-credentials', 'true'],
      ['access-control-expose-headers', 'x-total'],
    ]);
  });

  it('adds only vary: Origin for an origin not allowed (the request itself goes on)', async () => {
    const { answer, c } = await cors({ method: 'POST', path: '/v1/items', headers: { origin: 'https://evil.example' } });
    expect(answer).toBeUndefined();
    expect(c.responseHeaders).toEqual([['vary', 'Origin']]);
  });

  it('does nothing on a rule without CORS', async () => {
    const { answer, c } = await cors({ method: 'OPTIONS', path: '/plain', headers: { origin: 'https://app.example.com', 'access-control-request-method': 'GET' } });
    expect(answer).toBeUndefined();
    expect(c.responseHeaders).toEqual([]);
  });
});
