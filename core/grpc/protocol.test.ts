import { describe, expect, it } from 'vitest';
import { grpcProtocolOf, grpcProtocolOfRequest } from './protocol.ts';

describe('grpcProtocolOf', () => {
  it.each([
    ['application/grpc', 'grpc'],
    ['application/grpc+proto', 'grpc'],
    ['application/grpc+json', 'grpc'],
    ['Application/GRPC; charset=utf-8', 'grpc'],
    ['application/grpc-web', 'grpc-web'],
    ['application/grpc-web+proto', 'grpc-web'],
    ['application/grpc-web-text', 'grpc-web'],
    ['application/grpc-web-text+proto', 'grpc-web'],
  ] as const)('%s is %s', (contentType, protocol) => {
    expect(grpcProtocolOf(contentType)).toBe(protocol);
  });

  it.each([null, '', 'application/json', 'application/grpcx', 'application/grpc-webx', 'application/grpc-json', 'text/grpc', 'application/grpc+', 'application/grpc+a+b'])(
    '%s is not gRPC',
    (contentType) => {
      expect(grpcProtocolOf(contentType)).toBeNull();
    },
  );

  it('reads the content-type header of a request', () => {
    expect(grpcProtocolOfRequest(new Headers({ 'content-type': 'application/grpc-web-text' }))).toBe('grpc-web');
    expect(grpcProtocolOfRequest(new Headers())).toBeNull();
  });
});
