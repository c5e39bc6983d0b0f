import { describe, expect, it } from 'vitest';
import { ERROR_STATUS } from '../errors/error-codes.ts';
import type { ErrorCode } from '../errors/error-codes.ts';
import { GRPC_STATUS, grpcStatusName, grpcStatusOfHttp, grpcStatusOfRefusal, httpStatusOfGrpc, parseGrpcStatus } from './status.ts';

describe('gRPC status table', () => {
  it('has the 17 codes of statuscodes.md, 0 to 16, each name once', () => {
    expect(Object.values(GRPC_STATUS)).toEqual([...Array(17).keys()]);
    expect(grpcStatusName(0)).toBe('OK');
    expect(grpcStatusName(7)).toBe('PERMISSION_DENIED');
    expect(grpcStatusName(16)).toBe('UNAUTHENTICATED');
    expect(grpcStatusName(17)).toBeUndefined();
  });

  it('maps HTTP statuses as http-grpc-status-mapping.md does', () => {
    const table = Object.fromEntries([400, 401, 403, 404, 429, 502, 503, 504, 413, 500, 418].map((s) => [s, grpcStatusName(grpcStatusOfHttp(s))]));
    expect(table).toEqual({
      400: 'INTERNAL',
      401: 'UNAUTHENTICATED',
      403: 'PERMISSION_DENIED',
      404: 'UNIMPLEMENTED',
      429: 'UNAVAILABLE',
      502: 'UNAVAILABLE',
      503: 'UNAVAILABLE',
      504: 'UNAVAILABLE',
      413: 'UNKNOWN',
      500: 'UNKNOWN',
      418: 'UNKNOWN',
    });
  });
});

describe('grpcStatusOfRefusal', () => {
  const of = (code: ErrorCode, status?: number) => grpcStatusName(grpcStatusOfRefusal(code, status));

  it('answers authentication failures UNAUTHENTICATED (16)', () => {
    for (const code of ['unauthenticated', 'missing_credentials', 'invalid_token', 'invalid_api_key', 'expired', 'bad_signature', 'mtls_required'] as const)
      expect(of(code), code).toBe('UNAUTHENTICATED');
  });

  it('answers access refusals PERMISSION_DENIED (7)', () => {
    expect(of('access_denied')).toBe('PERMISSION_DENIED');
    expect(of('peer_refused')).toBe('PERMISSION_DENIED');
  });

  it('answers a rate limit RESOURCE_EXHAUSTED (8), not the UNAVAILABLE a proxy’s 429 would be', () => {
    expect(of('rate_limited')).toBe('RESOURCE_EXHAUSTED');
  });

  it('answers an unreachable or unready upstream UNAVAILABLE (14)', () => {
    for (const code of ['upstream_unavailable', 'no_endpoints', 'no_healthy_endpoints', 'circuit_open', 'no_snapshot', 'no_backend', 'unknown_service', 'app_unavailable', 'jwks_unavailable'] as const)
      expect(of(code), code).toBe('UNAVAILABLE');
  });

  it('answers a timeout DEADLINE_EXCEEDED (4), not the UNAVAILABLE a proxy’s 504 would be', () => {
    expect(of('upstream_timeout')).toBe('DEADLINE_EXCEEDED');
  });

  it('answers no route UNIMPLEMENTED (12) and a bad request INTERNAL (13)', () => {
    expect(of('no_route')).toBe('UNIMPLEMENTED');
    expect(of('not_found')).toBe('UNIMPLEMENTED');
    expect(of('invalid_path')).toBe('INTERNAL');
    expect(of('bad_request')).toBe('INTERNAL');
  });

  it('follows the status the cause chose: an authentication’s 503, a fault’s abort status', () => {
    expect(of('invalid_token', 503)).toBe('UNAVAILABLE');
    expect(of('fault_injected', 503)).toBe('UNAVAILABLE');
    expect(of('fault_injected', 403)).toBe('PERMISSION_DENIED');
    expect(of('fault_injected', 418)).toBe('UNKNOWN');
  });

  it('has a status for every error code', () => {
    for (const code of Object.keys(ERROR_STATUS) as ErrorCode[]) expect(grpcStatusName(grpcStatusOfRefusal(code)), code).toBeDefined();
  });
});

describe('parseGrpcStatus', () => {
  it('reads a decimal status and treats anything else as absent', () => {
    expect(parseGrpcStatus('14')).toBe(14);
    expect(parseGrpcStatus('0')).toBe(0);
    expect(parseGrpcStatus(' 7 ')).toBe(7);
    for (const v of [null, undefined, '', 'x', '-1', '1.5', '123', '0x1']) expect(parseGrpcStatus(v), String(v)).toBeUndefined();
  });
});

describe('httpStatusOfGrpc', () => {
  it("maps gRPC statuses to the HTTP status they stand for, as Envoy's grpcToHttpStatus does", () => {
    const table: [number, number][] = [
      [0, 200], [1, 499], [2, 500], [3, 400], [4, 504], [5, 404], [6, 409], [7, 403], [8, 429],
      [9, 400], [10, 409], [11, 400], [12, 501], [13, 500], [14, 503], [15, 500], [16, 401], [42, 500],
    ];
    for (const [grpc, http] of table) expect([grpc, httpStatusOfGrpc(grpc)]).toEqual([grpc, http]);
  });
});
