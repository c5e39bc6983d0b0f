import { describe, expect, it } from 'vitest';
import { plainAnswer, refuse } from '../pipeline/answer.ts';
import { encodeGrpcMessage, grpcTrailersOnly } from './trailers-only.ts';

describe('encodeGrpcMessage', () => {
  it('keeps printable ASCII and percent-encodes %, control bytes and UTF-8', () => {
    expect(encodeGrpcMessage('denied by AccessPolicy default/api: no rule allows GET /x')).toBe('denied by AccessPolicy default/api: no rule allows GET /x');
    expect(encodeGrpcMessage('100% sure')).toBe('100%25 sure');
    expect(encodeGrpcMessage('a\r\nb\t~')).toBe('a%0D%0Ab%09~');
    expect(encodeGrpcMessage('café ✓')).toBe('caf%C3%A9 %E2%9C%93');
  });

  it('round-trips through decodeURIComponent', () => {
    const text = 'rate limit 10/s of ns/rl exceeded — 50% über ✓';
    expect(decodeURIComponent(encodeGrpcMessage(text))).toBe(text);
  });
});

describe('grpcTrailersOnly', () => {
  it('answers a native gRPC caller HTTP 200 with application/grpc and the status in the headers', () => {
    const a = refuse('access_denied', 'denied by AccessPolicy default/greeter: 100% closed');
    expect(grpcTrailersOnly(a, 'application/grpc+proto')).toEqual({
      status: 200,
      grpcStatus: 7,
      headers: { 'content-type': 'application/grpc', 'grpc-status': '7', 'grpc-message': 'denied by AccessPolicy default/greeter: 100%25 closed' },
    });
  });

  it('answers a gRPC-Web caller in its own content type', () => {
    expect(grpcTrailersOnly(refuse('no_route', 'no route'), 'application/grpc-web-text+proto')?.headers['content-type']).toBe('application/grpc-web-text+proto');
    expect(grpcTrailersOnly(refuse('no_route', 'no route'), 'application/grpc-web; charset=x')?.headers).toMatchObject({
      'content-type': 'application/grpc-web',
      'grpc-status': '12',
    });
  });

  it('keeps the answer’s own headers (the authentication challenge)', () => {
    const a = refuse('missing_credentials', 'no credentials', { 'www-authenticate': 'Bearer realm="api"' });
    expect(grpcTrailersOnly(a, 'application/grpc')?.headers).toEqual({
      'www-authenticate': 'Bearer realm="api"',
      'content-type': 'application/grpc',
      'grpc-status': '16',
      'grpc-message': 'no credentials',
    });
  });

  it('gives a rate limit RESOURCE_EXHAUSTED and the Retry-After as grpc-retry-pushback-ms', () => {
    const limits: [string, string][] = [
      ['ratelimit-policy', '10;w=1'],
      ['Retry-After', '3'],
    ];
    expect(grpcTrailersOnly(refuse('rate_limited', 'slow down'), 'application/grpc', limits)?.headers).toMatchObject({ 'grpc-status': '8', 'grpc-retry-pushback-ms': '3000' });
  });

  it('gives no pushback without a delay-seconds Retry-After, nor to other refusals', () => {
    expect(grpcTrailersOnly(refuse('rate_limited', 'x'), 'application/grpc')?.headers['grpc-retry-pushback-ms']).toBeUndefined();
    expect(grpcTrailersOnly(refuse('rate_limited', 'x'), 'application/grpc', [['retry-after', 'Wed, 21 Oct 2015 07:28:00 GMT']])?.headers['grpc-retry-pushback-ms']).toBeUndefined();
    expect(grpcTrailersOnly(refuse('upstream_unavailable', 'x'), 'application/grpc', [['retry-after', '3']])?.headers['grpc-retry-pushback-ms']).toBeUndefined();
  });

  it('leaves a redirect or preflight alone, and any request that is not gRPC', () => {
    expect(grpcTrailersOnly(plainAnswer(308, { location: '/v2' }), 'application/grpc')).toBeNull();
    expect(grpcTrailersOnly(refuse('access_denied', 'no'), 'application/json')).toBeNull();
    expect(grpcTrailersOnly(refuse('access_denied', 'no'), null)).toBeNull();
  });
});
