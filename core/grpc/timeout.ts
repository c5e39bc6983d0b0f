// The `grpc-timeout` request header (PROTOCOL-HTTP2.md: 1–8 digits and a unit, H M S m u n):
// the caller's deadline, relative to when the request was sent. Weft honours it, capped by
// the route timeout, and sends the time left on to the upstream in the same header.
/** Each unit in ms: a multiple, or (below a ms) a divisor, so that whole results stay exact. */
const UNIT: Record<string, (v: number) => number> = {
  H: (v) => v * 3_600_000,
  M: (v) => v * 60_000,
  S: (v) => v * 1000,
  m: (v) => v,
  u: (v) => v / 1000,
  n: (v) => v / 1_000_000,
};

/**
 * The timeout a `grpc-timeout` value asks for, in whole ms (rounded up: a deadline is never
 * made shorter than asked). A missing or malformed value (more than 8 digits, an unknown
 * unit, a sign, spaces inside) is ignored: null, as gRPC servers treat it, and the route
 * timeout alone bounds the call.
 */
export function parseGrpcTimeout(value: string | null | undefined): number | null {
  if (value === null || value === undefined) return null;
  const m = /^(\d{1,8})([HMSmun])$/.exec(value.trim());
  if (!m) return null;
  return Math.ceil((UNIT[m[2] as string] as (v: number) => number)(Number(m[1])));
}

const MAX_VALUE = 99_999_999;
/** Coarser units, for a time too long to say in ms with 8 digits. */
const COARSER: [unit: string, ms: number][] = [
  ['S', 1000],
  ['M', 60_000],
  ['H', 3_600_000],
];

/**
 * A `grpc-timeout` value for `ms` milliseconds: whole ms when 8 digits hold it, else the
 * finest unit that does, rounded up (as gRPC's own encoders round).
 */
export function formatGrpcTimeout(ms: number): string {
  const whole = Math.max(0, Math.ceil(ms));
  if (whole <= MAX_VALUE) return `${whole}m`;
  for (const [unit, size] of COARSER) {
    const v = Math.ceil(whole / size);
    if (v <= MAX_VALUE) return `${v}${unit}`;
  }
  return `${MAX_VALUE}H`;
}
