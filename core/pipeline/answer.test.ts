import { describe, expect, it } from 'vitest';
import { plainAnswer, refuse, renderAnswer } from './answer.ts';

describe('renderAnswer', () => {
  it('writes a refusal as the Weft JSON error to an ordinary request', () => {
    expect(renderAnswer(refuse('access_denied', 'denied'), { method: 'GET', contentType: 'application/json' })).toEqual({
      status: 403,
      headers: { 'content-type': 'application/json' },
      body: '{"error":{"code":"access_denied","message":"denied"}}',
      grpcStatus: null,
    });
  });

  it('writes a refusal to a gRPC caller as a trailers-only gRPC status', () => {
    expect(renderAnswer(refuse('upstream_timeout', 'too slow'), { method: 'POST', contentType: 'application/grpc' })).toEqual({
      status: 200,
      headers: { 'content-type': 'application/grpc', 'grpc-status': '4', 'grpc-message': 'too slow' },
      body: null,
      grpcStatus: 4,
    });
  });

  it('answers HEAD without a body or a Content-Type, the answer’s own headers kept', () => {
    expect(renderAnswer(refuse('rate_limited', 'slow down', { 'retry-after': '3' }), { method: 'HEAD', contentType: null })).toEqual({
      status: 429,
      headers: { 'retry-after': '3' },
      body: null,
      grpcStatus: null,
    });
    expect(renderAnswer(refuse('no_route', 'no route'), { method: 'head', contentType: 'application/grpc-web' })).toEqual({ status: 404, headers: {}, body: null, grpcStatus: null });
  });

  it('writes a redirect bodiless, whoever asks', () => {
    expect(renderAnswer(plainAnswer(301, { location: '/new' }), { method: 'POST', contentType: 'application/grpc-web' })).toEqual({ status: 301, headers: { location: '/new' }, body: null, grpcStatus: null });
  });
});
