// gRPC status codes (grpc/grpc doc/statuscodes.md) and which one each Weft refusal is for a
// gRPC caller. The choices come first (a rate limit is RESOURCE_EXHAUSTED, a timeout
// DEADLINE_EXCEEDED); every other answer maps by its HTTP status as gRPC clients map an
// intermediary's status (grpc/grpc doc/http-grpc-status-mapping.md), so a Weft refusal
// means to a gRPC client what the same status from any proxy would.
import { statusOf } from '../errors/error-codes.ts';
import type { ErrorCode } from '../errors/error-codes.ts';

export const GRPC_STATUS = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const satisfies Record<string, number>;

export type GrpcStatusName = keyof typeof GRPC_STATUS;

const NAMES = Object.fromEntries(Object.entries(GRPC_STATUS).map(([name, code]) => [code, name])) as Record<number, GrpcStatusName>;

/** The name of a gRPC status code (`14` → `UNAVAILABLE`); undefined for a code the spec does not define. */
export function grpcStatusName(code: number): GrpcStatusName | undefined {
  return NAMES[code];
}

/** gRPC's own mapping of an intermediary's HTTP status (http-grpc-status-mapping.md). */
export function grpcStatusOfHttp(httpStatus: number): number {
  switch (httpStatus) {
    case 400:
      return GRPC_STATUS.INTERNAL;
    case 401:
      return GRPC_STATUS.UNAUTHENTICATED;
    case 403:
      return GRPC_STATUS.PERMISSION_DENIED;
    case 404:
      return GRPC_STATUS.UNIMPLEMENTED;
    case 429:
    case 502:
    case 503:
    case 504:
      return GRPC_STATUS.UNAVAILABLE;
    default:
      return GRPC_STATUS.UNKNOWN;
  }
}

/** The HTTP status a gRPC status stands for (Envoy's grpcToHttpStatus), for what judges answers by HTTP status (outlier detection). */
export function httpStatusOfGrpc(code: number): number {
  switch (code) {
    case GRPC_STATUS.OK:
      return 200;
    case GRPC_STATUS.CANCELLED:
      return 499;
    case GRPC_STATUS.INVALID_ARGUMENT:
    case GRPC_STATUS.FAILED_PRECONDITION:
    case GRPC_STATUS.OUT_OF_RANGE:
      return 400;
    case GRPC_STATUS.DEADLINE_EXCEEDED:
      return 504;
    case GRPC_STATUS.NOT_FOUND:
      return 404;
    case GRPC_STATUS.ALREADY_EXISTS:
    case GRPC_STATUS.ABORTED:
      return 409;
    case GRPC_STATUS.PERMISSION_DENIED:
      return 403;
    case GRPC_STATUS.RESOURCE_EXHAUSTED:
      return 429;
    case GRPC_STATUS.UNIMPLEMENTED:
      return 501;
    case GRPC_STATUS.UNAVAILABLE:
      return 503;
    case GRPC_STATUS.UNAUTHENTICATED:
      return 401;
    default:
      return 500; // UNKNOWN, INTERNAL, DATA_LOSS, and codes the spec does not define
  }
}

/**
 * Codes whose gRPC status is not the one their HTTP status maps to: gRPC has a status that
 * says exactly what happened. (An oversized request is what gRPC itself reports as
 * RESOURCE_EXHAUSTED; 500s are Weft's own broken invariants, INTERNAL; a rule whose backend
 * is unusable is UNAVAILABLE, as the Gateway API's GRPCRoute asks, where HTTPRoute asks 500.)
 */
const BY_CODE: Partial<Record<ErrorCode, number>> = {
  no_backend: GRPC_STATUS.UNAVAILABLE,
  no_endpoints: GRPC_STATUS.UNAVAILABLE,
  rate_limited: GRPC_STATUS.RESOURCE_EXHAUSTED,
  upstream_timeout: GRPC_STATUS.DEADLINE_EXCEEDED,
  body_too_large: GRPC_STATUS.RESOURCE_EXHAUSTED,
  internal: GRPC_STATUS.INTERNAL,
  misconfigured: GRPC_STATUS.INTERNAL,
};

/**
 * The gRPC status of a Weft refusal with `code`, answered with `httpStatus` (the table's
 * unless the cause chose another: a fault's abort status, an authentication's 503).
 */
export function grpcStatusOfRefusal(code: ErrorCode, httpStatus: number = statusOf(code)): number {
  return BY_CODE[code] ?? grpcStatusOfHttp(httpStatus);
}

/**
 * A `grpc-status` header value as a code: 1–2 decimal digits, else undefined (a value that
 * is not a status is treated as absent, never guessed at).
 */
export function parseGrpcStatus(value: string | null | undefined): number | undefined {
  if (value === null || value === undefined) return undefined;
  const v = value.trim();
  return /^\d{1,2}$/.test(v) ? Number(v) : undefined;
}
