import { describe, expect, it } from 'vitest';
import { GRPC_METHOD_NAME, GRPC_SERVICE_NAME, grpcMethodPath } from './method-path.ts';

describe('grpcMethodPath', () => {
  it('is the exact method path, or the service prefix', () => {
    expect(grpcMethodPath('helloworld.Greeter', 'SayHello')).toEqual({ kind: 'exact', value: '/helloworld.Greeter/SayHello' });
    expect(grpcMethodPath('helloworld.Greeter')).toEqual({ kind: 'prefix', value: '/helloworld.Greeter' });
  });

  it('accepts protobuf names and refuses anything that would not be one path segment', () => {
    for (const s of ['Greeter', 'helloworld.Greeter', 'grpc.health.v1.Health', '_x.Y_2']) expect(GRPC_SERVICE_NAME.test(s), s).toBe(true);
    for (const s of ['', '.Greeter', 'helloworld.', 'a..b', 'a/b', '1pkg.S', 'a.b-c', 'helloworld.Greeter/SayHello']) expect(GRPC_SERVICE_NAME.test(s), s).toBe(false);
    for (const s of ['SayHello', 'say_hello2']) expect(GRPC_METHOD_NAME.test(s), s).toBe(true);
    for (const s of ['', 'Say.Hello', 'Say/Hello', '2x']) expect(GRPC_METHOD_NAME.test(s), s).toBe(false);
  });
});
