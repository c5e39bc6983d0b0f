// The deadline a request carries from the hop before, so that no hop works (or retries) for
// a caller that has already given up. Two headers say it: gRPC's own `grpc-timeout`, and
// `x-weft-timeout-ms`, which every Weft hop sets on each try it sends (the time that try may
// take: the per-try timeout or the time left, whichever is shorter; Envoy's
// x-envoy-expected-rq-timeout-ms). A sidecar's inbound bounds the app's call by it and passes
// it on to the app with the time still left; an app that copies it onto its own calls makes
// its sidecar's outbound bound theirs too. A received deadline only ever shortens the route's
// timeout. The edge ignores the header from the internet: it is the mesh's own.
import { parseGrpcTimeout } from '../grpc/timeout.ts';

export const TIMEOUT_HEADER = 'x-weft-timeout-ms';

/** A whole positive number of ms, up to 10 digits; anything else (absent, `0`, a sign, a unit) is no deadline. */
export function parseTimeoutHeader(value: string | null | undefined): number | null {
  if (value === null || value === undefined) return null;
  const v = value.trim();
  if (!/^\d{1,10}$/.test(v)) return null;
  const n = Number(v);
  return n > 0 ? n : null;
}

/** The header value for a try that may take `ms` (rounded up: never shorter than the try's own limit); null when there is no limit to say. */
export function formatTimeoutHeader(ms: number): string | null {
  return Number.isFinite(ms) && ms > 0 ? String(Math.ceil(ms)) : null;
}

export interface CallerTimeout {
  ms: number;
  /** The header that said it, for the message a timeout answers with. */
  header: 'grpc-timeout' | typeof TIMEOUT_HEADER;
}

/**
 * The shortest deadline the request arrived with: `grpc-timeout` on a gRPC call, and
 * `x-weft-timeout-ms` when this hop trusts it (a sidecar; not the edge). Null when neither
 * says one.
 */
export function callerTimeout(headers: { get(name: string): string | null }, o: { grpc: boolean; propagated: boolean }): CallerTimeout | null {
  const grpc = o.grpc ? parseGrpcTimeout(headers.get('grpc-timeout')) : null;
  const weft = o.propagated ? parseTimeoutHeader(headers.get(TIMEOUT_HEADER)) : null;
  if (weft !== null && (grpc === null || weft < grpc)) return { ms: weft, header: TIMEOUT_HEADER };
  return grpc === null ? null : { ms: grpc, header: 'grpc-timeout' };
}
