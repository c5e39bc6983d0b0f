// gRPC semantics in core, for both data planes: which requests are gRPC or gRPC-Web, the
// status table and which status each Weft refusal is, `grpc-timeout`, the trailers-only
// refusal, and the `/package.Service/Method` paths the Route `grpc` match stands for.
export { grpcProtocolOf, grpcProtocolOfRequest } from './protocol.ts';
export type { GrpcProtocol } from './protocol.ts';
export { GRPC_STATUS, grpcStatusName, grpcStatusOfHttp, grpcStatusOfRefusal, parseGrpcStatus } from './status.ts';
export type { GrpcStatusName } from './status.ts';
export { formatGrpcTimeout, parseGrpcTimeout } from './timeout.ts';
export { encodeGrpcMessage, grpcTrailersOnly } from './trailers-only.ts';
export type { GrpcTrailersOnly } from './trailers-only.ts';
export { grpcMethodPath } from './method-path.ts';
