// What a Service's `protocol` means on the wire, in one place for both data planes.
// `http` and `https`: HTTP/1.1 (cleartext, or TLS to static endpoints). `http2` and `grpc`:
// HTTP/2 (h2c to static endpoints and from a sidecar to its app; h2 by ALPN between sidecars).
// `grpc` also says the service's callers are gRPC clients (docs/policies.md, Service).
import type { CompiledService } from './compile.ts';

export const SERVICE_PROTOCOLS = ['http', 'https', 'http2', 'grpc'] as const;
export type ServiceProtocol = (typeof SERVICE_PROTOCOLS)[number];

/** The URL scheme of a static endpoint of this service. */
export function endpointScheme(service: Pick<CompiledService, 'protocol'>): 'http' | 'https' {
  return service.protocol === 'https' ? 'https' : 'http';
}

/** Whether the service's instances speak HTTP/2 (so a sidecar talks h2 to them, and to their sidecars). */
export function speaksHttp2(service: Pick<CompiledService, 'protocol'>): boolean {
  return service.protocol === 'http2' || service.protocol === 'grpc';
}
