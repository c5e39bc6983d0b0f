// Trace context for each hop: continue the caller's trace with a new span id, or start one
// (the W3C rules of core/http/traceparent.ts: a valid parent keeps its trace id and sampled
// flag, anything else starts an unsampled trace). Random ids come from a pooled buffer
// refilled 4 KiB at a time (one getRandomValues call per ~170 requests instead of a
// synchronous syscall per request) and are hex-encoded through a byte table: this runs on
// every request, so no per-call arrays.
import { parseTraceparent } from '../../core/http/traceparent.ts';
import type { IncomingMessage } from 'node:http';

const pool = new Uint8Array(4096);
let at = pool.length;
const HEX: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** `bytes` random bytes as lower-case hex, never all zero (an all-zero id is invalid). */
function randomHex(bytes: number): string {
  for (;;) {
    if (at + bytes > pool.length) {
      crypto.getRandomValues(pool);
      at = 0;
    }
    let s = '';
    let any = 0;
    for (let i = 0; i < bytes; i++) {
      const b = pool[at++] as number;
      any |= b;
      s += HEX[b] as string;
    }
    if (any !== 0) return s;
  }
}

/** The traceparent to send on: the caller's trace continued, or a new (unsampled) one. */
export function nextTraceparent(req: IncomingMessage): string {
  const incoming = req.headers.traceparent;
  if (typeof incoming === 'string') {
    const parent = parseTraceparent(incoming);
    if (parent) return `00-${parent.traceId}-${randomHex(8)}-${parent.flags & 1 ? '01' : '00'}`;
  }
  return `00-${randomHex(16)}-${randomHex(8)}-00`;
}
