// gRPC-Web through the gateway (in workerd): the edge's refusals reach a gRPC-Web client as
// gRPC statuses (HTTP 200, trailers-only) rather than JSON errors it cannot read; an allowed
// call goes through with its deadline passed on; a trailers-only UNAVAILABLE from the
// upstream is retried although the call is a POST.
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { grpcWebFrame, helloRequest, parseGrpcWebFrames } from '../support/grpc-web-frames.ts';
import { apiService, echo, gatewayVersion, gw, PORTS, pushPolicy, route, testEnv, upstream } from './gateway-support.ts';

const GRPC_WEB = { 'content-type': 'application/grpc-web+proto', 'x-grpc-web': '1', accept: 'application/grpc-web+proto' };

function call(host: string, path: string, headers: Record<string, string> = {}): Promise<Response> {
  return gw(`https://${host}${path}`, { method: 'POST', headers: { ...GRPC_WEB, ...headers }, body: grpcWebFrame(helloRequest('world')) });
}

beforeAll(async () => {
  await pushPolicy(
    apiService(),
    route(
      'greeter',
      'grpc.example.com',
      [
        '    - name: greeter',
        '      matches: [{ grpc: { service: helloworld.Greeter } }]',
        '      backends: [{ service: api, subset: stable }]',
        '      timeout: 5s',
        '    - name: admin',
        '      matches: [{ grpc: { service: helloworld.Admin } }]',
        '      backends: [{ service: api, subset: stable }]',
      ].join('\n'),
    ),
    route('limited', 'grpc-limited.example.com', '    - backends: [{ service: api, subset: stable }]'),
    [
      'apiVersion: weft/v1',
      'kind: Service',
      'metadata: { name: pair }',
      'spec:',
      '  endpoints:',
      `    - { address: 127.0.0.1, port: ${PORTS.stable} }`,
      `    - { address: 127.0.0.1, port: ${PORTS.canary} }`,
    ].join('\n'),
    route(
      'flaky',
      'grpc-flaky.example.com',
      '    - backends: [{ service: pair }]\n      retries: { attempts: 2, retryOn: [unavailable], backoff: { baseInterval: 1ms }, budget: { percent: 100, minRetriesPerSecond: 1000 } }',
    ),
    [
      'apiVersion: weft/v1',
      'kind: AccessPolicy',
      'metadata: { name: admin-deny }',
      'spec:',
      '  targetRefs: [{ kind: Route, name: greeter }]',
      '  action: deny',
      '  rules:',
      '    - to: { paths: ["/helloworld.Admin/*"] }',
      '---',
      'apiVersion: weft/v1',
      'kind: RateLimit',
      'metadata: { name: limited }',
      'spec:',
      '  targetRefs: [{ kind: Route, name: limited }]',
      '  limits: [{ name: per-ip, key: client-ip, requests: 1, period: 1m }]',
    ].join('\n'),
  );
});

beforeEach(async () => {
  await upstream('stable', '/__reset');
  await upstream('canary', '/__reset');
});

describe('gRPC-Web at the edge', () => {
  it('answers a call refused by an access policy with HTTP 200 and grpc-status 7 (PERMISSION_DENIED), no body', async () => {
    const log = vi.spyOn(console, 'log');
    let res: Response;
    try {
      res = await call('grpc.example.com', '/helloworld.Admin/Reset');
      const lines = log.mock.calls.map((args) => JSON.parse(String(args[0])) as Record<string, unknown>).filter((l) => l.component === 'gateway.access');
      expect(lines.at(-1)).toMatchObject({ status: 200, grpcStatus: 7, route: 'default/greeter#admin' });
    } finally {
      log.mockRestore();
    }
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/grpc-web+proto');
    expect(res.headers.get('grpc-status')).toBe('7');
    expect(decodeURIComponent(res.headers.get('grpc-message') ?? '')).toContain('denied by AccessPolicy default/admin-deny');
    expect(await res.arrayBuffer()).toHaveProperty('byteLength', 0);
    expect(await upstream('stable', '/__hits')).toEqual({});
  });

  it('still answers the same refusal to a caller that is not gRPC as a JSON 403', async () => {
    const res = await gw('https://grpc.example.com/helloworld.Admin/Reset', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('access_denied');
  });

  it('answers a method no route matches with grpc-status 12 (UNIMPLEMENTED)', async () => {
    const res = await call('grpc.example.com', '/helloworld.Other/Call');
    expect([res.status, res.headers.get('grpc-status')]).toEqual([200, '12']);
  });

  it('passes an allowed call through, frame and all, with the time left of its deadline as grpc-timeout', async () => {
    const e = await echo(await call('grpc.example.com', '/helloworld.Greeter/SayHello', { 'grpc-timeout': '2S' }));
    expect(e.url).toBe('/helloworld.Greeter/SayHello');
    expect(e.headers['content-type']).toBe('application/grpc-web+proto');
    expect(e.bodyLength).toBe(12);
    const timeout = /^(\d+)m$/.exec(e.headers['grpc-timeout'] ?? '');
    expect(timeout).not.toBeNull();
    expect(Number(timeout?.[1])).toBeGreaterThan(0);
    expect(Number(timeout?.[1])).toBeLessThanOrEqual(2000);
  });

  it('answers a rate-limited call grpc-status 8 (RESOURCE_EXHAUSTED) with retry pushback and the RateLimit headers', async () => {
    const ip = { 'cf-connecting-ip': '203.0.113.40' };
    expect((await call('grpc-limited.example.com', '/helloworld.Greeter/SayHello', ip)).headers.get('grpc-status')).toBeNull();
    const res = await call('grpc-limited.example.com', '/helloworld.Greeter/SayHello', ip);
    expect([res.status, res.headers.get('grpc-status')]).toEqual([200, '8']);
    const retryAfter = Number(res.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(res.headers.get('grpc-retry-pushback-ms')).toBe(String(retryAfter * 1000));
    expect(res.headers.get('ratelimit-remaining')).toBe('0');
  });

  it('retries a call the upstream answered UNAVAILABLE in a trailers-only head, on another endpoint', async () => {
    const res = await call('grpc-flaky.example.com', '/helloworld.Greeter/SayHello?h.grpc-status=14');
    // Both endpoints answer UNAVAILABLE: the first try and two retries, then the last answer is passed on.
    expect([res.status, res.headers.get('grpc-status')]).toEqual([200, '14']);
    const hits = async (name: 'stable' | 'canary') => ((await upstream(name, '/__hits')) as Record<string, number>)['/helloworld.Greeter/SayHello'] ?? 0;
    expect((await hits('stable')) + (await hits('canary'))).toBe(3);
    expect(await hits('stable')).toBeGreaterThanOrEqual(1);
    expect(await hits('canary')).toBeGreaterThanOrEqual(1);
  });
});

describe('gRPC-Web through the edge to a native gRPC server', () => {
  beforeAll(async () => {
    const version = await pushPolicy(
      ['apiVersion: weft/v1', 'kind: Service', 'metadata: { name: greeter }', 'spec:', '  protocol: grpc', '  endpoints:', `    - { address: 127.0.0.1, port: ${testEnv.UPSTREAM_GREETER_PORT} }`].join('\n'),
      route('greeter-edge', 'greeter.example.com', '    - matches: [{ grpc: { service: helloworld.Greeter } }]\n      backends: [{ service: greeter }]'),
    );
    // A new policy reaches the gateway on its next snapshot check: wait until it is in force.
    expect(await gatewayVersion(version, 'greeter.example.com')).toBe(version);
  });

  it('reaches a grpc-js server through gateway → sidecar inbound (gRPC-Web bridged to gRPC over h2c): reply frame, then trailers', async () => {
    const res = await gw('https://greeter.example.com/helloworld.Greeter/SayHello', { method: 'POST', headers: GRPC_WEB, body: grpcWebFrame(helloRequest('edge')) });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/grpc-web+proto');
    const raw = new Uint8Array(await res.arrayBuffer());
    const f = parseGrpcWebFrames(raw);
    expect(f.messages).toEqual(['hello edge']);
    expect(f.trailers['grpc-status']).toBe('0');
  });

  it('streams a server-streaming call through the edge', async () => {
    const res = await gw('https://greeter.example.com/helloworld.Greeter/CountTo', { method: 'POST', headers: GRPC_WEB, body: grpcWebFrame(new Uint8Array([0x08, 3])) });
    const f = parseGrpcWebFrames(new Uint8Array(await res.arrayBuffer()));
    expect(f.messages).toEqual(['1', '2', '3']);
    expect(f.trailers['grpc-status']).toBe('0');
  });
});
