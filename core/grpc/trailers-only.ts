// A Weft refusal as a gRPC caller understands it: the "Trailers-Only" response
// (PROTOCOL-HTTP2.md) — HTTP 200, no body, and the status in the one header block:
// `grpc-status`, `grpc-message` (percent-encoded UTF-8). A gRPC client ignores the HTTP
// status of a gRPC response and would report a JSON 403 as "unknown content-type"; this
// form gives it PERMISSION_DENIED and the reason. A rate limit adds `grpc-retry-pushback-ms`
// (gRFC A6), which gRPC's own retry logic reads, from Retry-After.
import type { Answer } from '../pipeline/answer.ts';
import { grpcProtocolOf } from './protocol.ts';
import { grpcStatusOfRefusal } from './status.ts';

export interface GrpcTrailersOnly {
  status: 200;
  /** The answer's own headers, then content-type, grpc-status, grpc-message and any retry pushback. */
  headers: Record<string, string>;
  /** The gRPC status code, for the access log and metrics. */
  grpcStatus: number;
}

/**
 * `text` percent-encoded as `grpc-message` wants it: UTF-8, every byte outside printable
 * ASCII (0x20–0x7E), and `%` itself, as `%XX` with upper-case hex.
 */
export function encodeGrpcMessage(text: string): string {
  let out = '';
  for (const byte of new TextEncoder().encode(text)) {
    out += byte >= 0x20 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function headerValue(name: string, ...lists: (readonly (readonly [string, string])[])[]): string | undefined {
  let found: string | undefined;
  for (const list of lists) for (const [n, v] of list) if (n.toLowerCase() === name) found = v;
  return found;
}

/** Retry-After as ms, when it is delay-seconds (an HTTP date is not turned into a pushback). */
function pushbackMs(retryAfter: string | undefined): string | undefined {
  if (retryAfter === undefined) return undefined;
  const v = retryAfter.trim();
  return /^\d{1,9}$/.test(v) ? String(Number(v) * 1000) : undefined;
}

/**
 * The trailers-only form of answer `a` to a request with content type `requestContentType`;
 * null when the request is not gRPC or gRPC-Web, or `a` is not a refusal (a redirect or a
 * preflight goes out as it is). The response's content type is `application/grpc` for
 * native gRPC and the request's own for gRPC-Web (`application/grpc-web-text` is answered
 * in kind). `responseHeaders` (the request's RateLimit-* and Retry-After) are only read:
 * the adapter adds them to the response as to any answer.
 */
export function grpcTrailersOnly(a: Answer, requestContentType: string | null, responseHeaders: readonly (readonly [string, string])[] = []): GrpcTrailersOnly | null {
  const protocol = grpcProtocolOf(requestContentType);
  if (protocol === null || a.code === null) return null;
  const grpcStatus = grpcStatusOfRefusal(a.code, a.status);
  const own = Object.entries(a.headers);
  const headers: Record<string, string> = {
    ...a.headers,
    'content-type': protocol === 'grpc' ? 'application/grpc' : (requestContentType as string).split(';')[0]?.trim().toLowerCase() || 'application/grpc-web',
    'grpc-status': String(grpcStatus),
    'grpc-message': encodeGrpcMessage(a.message),
  };
  if (a.code === 'rate_limited') {
    const pushback = pushbackMs(headerValue('retry-after', own, responseHeaders));
    if (pushback !== undefined) headers['grpc-retry-pushback-ms'] = pushback;
  }
  return { status: 200, headers, grpcStatus };
}
