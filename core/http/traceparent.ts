// W3C Trace Context (Level 1): read the caller's `traceparent`, continue its trace with a
// new span of ours, or start a trace when the header is absent or invalid. `tracestate`
// travels with a valid traceparent and is dropped with an invalid one, as the spec asks.

export interface TraceContext {
  /** 32 lower-case hex digits, not all zero. */
  traceId: string;
  /** The parent-id field: 16 lower-case hex digits, not all zero. */
  spanId: string;
  /** Trace flags; bit 0 = sampled. */
  flags: number;
}

/** Fills a byte array with random bytes; by default ids come from the pool below. */
export type RandomFill = (bytes: Uint8Array) => Uint8Array;

// Random bytes for ids come from a pool filled by crypto.getRandomValues 4 KiB at a time: one
// call per ~170 requests instead of two per request (in Node each call is a syscall). Filled
// lazily, never at module load (Workers forbid randomness in the global scope). The default
// path reads the pool in place and hex-encodes through a byte table: this runs on every
// request, so no per-call arrays.
const pool = new Uint8Array(4096);
let taken = pool.length;

const HEX: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

const SAMPLED = 0x01;
const V00 = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ZERO = /^0+$/;

/**
 * Parses a traceparent. Version 00 must be exactly 55 characters. A later version is read
 * for its version-00 fields, if what follows them starts with `-` (the spec's forward
 * compatibility rule); version ff is invalid.
 */
export function parseTraceparent(value: string | null | undefined): TraceContext | undefined {
  if (value === null || value === undefined) return undefined;
  const v = value.trim();
  const version = v.slice(0, 2);
  if (v.length > 55 && (version === '00' || v[55] !== '-')) return undefined;
  const m = V00.exec(v.slice(0, 55));
  if (!m || m[1] === 'ff') return undefined;
  const traceId = m[2] as string;
  const spanId = m[3] as string;
  if (ZERO.test(traceId) || ZERO.test(spanId)) return undefined;
  return { traceId, spanId, flags: parseInt(m[4] as string, 16) };
}

export function formatTraceparent(ctx: TraceContext): string {
  return `00-${ctx.traceId}-${ctx.spanId}-${(ctx.flags & 0xff).toString(16).padStart(2, '0')}`;
}

/** `bytes` random bytes as lower-case hex, never all zero (an all-zero id is invalid). */
function randomHex(bytes: number, fill: RandomFill | undefined): string {
  for (;;) {
    let hex = '';
    let any = 0;
    if (fill === undefined) {
      if (taken + bytes > pool.length) {
        crypto.getRandomValues(pool);
        taken = 0;
      }
      for (let i = 0; i < bytes; i++) {
        const x = pool[taken++] as number;
        any |= x;
        hex += HEX[x] as string;
      }
    } else {
      for (const x of fill(new Uint8Array(bytes))) {
        any |= x;
        hex += HEX[x] as string;
      }
    }
    if (any !== 0) return hex;
  }
}

/** A random, non-zero 8-byte span id. */
export function newSpanId(fill?: RandomFill): string {
  return randomHex(8, fill);
}

/** A random, non-zero 16-byte trace id. */
export function newTraceId(fill?: RandomFill): string {
  return randomHex(16, fill);
}

export interface PropagatedTrace {
  /** The traceparent to send upstream: same trace, our new span as the parent. */
  traceparent: string;
  tracestate: string | null;
  traceId: string;
  spanId: string;
  /** The caller's span, or null when this trace starts here. */
  parentSpanId: string | null;
  sampled: boolean;
}

/**
 * Continues the caller's trace, or starts one. Only the sampled flag is carried (Level 1:
 * other flags are zeroed). `sampled` is the sampling decision for a trace that starts here.
 */
export function continueTrace(
  headers: { get(name: string): string | null },
  options: { sampled?: boolean; fill?: RandomFill } = {},
): PropagatedTrace {
  const fill = options.fill;
  const parent = parseTraceparent(headers.get('traceparent'));
  const spanId = newSpanId(fill);
  if (!parent) {
    const traceId = newTraceId(fill);
    const sampled = options.sampled ?? false;
    return { traceparent: formatTraceparent({ traceId, spanId, flags: sampled ? SAMPLED : 0 }), tracestate: null, traceId, spanId, parentSpanId: null, sampled };
  }
  const flags = parent.flags & SAMPLED;
  const tracestate = headers.get('tracestate');
  return {
    traceparent: formatTraceparent({ traceId: parent.traceId, spanId, flags }),
    tracestate: tracestate === null || tracestate.trim() === '' ? null : tracestate,
    traceId: parent.traceId,
    spanId,
    parentSpanId: parent.spanId,
    sampled: flags === SAMPLED,
  };
}

/** Just the traceparent to send upstream, from the caller's (possibly absent) header. */
export function childTraceparent(incoming: string | null, options: { sampled?: boolean; fill?: RandomFill } = {}): string {
  return continueTrace({ get: (name) => (name === 'traceparent' ? incoming : null) }, options).traceparent;
}
