// The HTTP/2 path of a gRPC call is `/{package.Service}/{Method}` (PROTOCOL-HTTP2.md,
// Appendix A): a Route's `grpc: { service, method }` match is that path, exactly, or every
// method of the service (the `/package.Service` prefix) when the method is left out.
import type { PathMatch } from '../route/types.ts';

/** A service name as protobuf qualifies it: an optional dotted package, then the service (`helloworld.Greeter`). */
export const GRPC_SERVICE_NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;
/** A method name: one protobuf identifier (`SayHello`). */
export const GRPC_METHOD_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The path match for calls to `service`'s `method`, or to any of its methods. */
export function grpcMethodPath(service: string, method?: string | null): PathMatch {
  return method ? { kind: 'exact', value: `/${service}/${method}` } : { kind: 'prefix', value: `/${service}` };
}
