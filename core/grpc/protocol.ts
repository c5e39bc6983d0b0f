// Which requests are gRPC calls: native gRPC (`application/grpc`, `application/grpc+proto`…,
// over HTTP/2) and gRPC-Web (`application/grpc-web`, `application/grpc-web+proto`,
// `application/grpc-web-text`…, over HTTP/1.1 or HTTP/2). Decided once from the request's
// content type; a refusal to either is written as a gRPC status, not an HTTP error.
import type { HeaderReader } from '../pipeline/context.ts';

export type GrpcProtocol = 'grpc' | 'grpc-web';

/**
 * The gRPC protocol a content type names, or null. The media type is compared ignoring
 * case and parameters; after `application/grpc` (or `-web`, `-web-text`) only a `+format`
 * suffix may follow (`application/grpcx` is not gRPC).
 */
export function grpcProtocolOf(contentType: string | null): GrpcProtocol | null {
  if (contentType === null) return null;
  const semi = contentType.indexOf(';');
  const media = (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
  const m = /^application\/grpc(-web(?:-text)?)?(?:\+[^\s/+]+)?$/.exec(media);
  if (!m) return null;
  return m[1] === undefined ? 'grpc' : 'grpc-web';
}

/** The gRPC protocol of a request, from its `content-type`; null for any other request. */
export function grpcProtocolOfRequest(headers: HeaderReader): GrpcProtocol | null {
  return grpcProtocolOf(headers.get('content-type'));
}
