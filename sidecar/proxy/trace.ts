// Trace context for each hop: continue the caller's trace with a new span id, or start one
// (core/http/traceparent.ts). Random ids come from a pooled buffer refilled 4 KiB at a time:
// one getRandomValues call per 256 spans instead of one (a synchronous syscall) per request.
import { childTraceparent } from '../../core/http/traceparent.ts';
import type { IncomingMessage } from 'node:http';

const pool = new Uint8Array(4096);
let at = pool.length;

function pooledFill(bytes: Uint8Array): Uint8Array {
  if (at + bytes.length > pool.length) {
    crypto.getRandomValues(pool);
    at = 0;
  }
  bytes.set(pool.subarray(at, at + bytes.length));
  at += bytes.length;
  return bytes;
}

/** The traceparent to send on: the caller's trace continued, or a new (unsampled) one. */
export function nextTraceparent(req: IncomingMessage): string {
  const incoming = req.headers.traceparent;
  return childTraceparent(typeof incoming === 'string' ? incoming : null, { fill: pooledFill });
}
