// What a stage answers when it ends the request itself: an error (the Weft JSON body, its
// status from the one error-code table), or a bodiless answer (a redirect, a CORS preflight).
// Runtime-neutral data: renderAnswer decides how it goes on the wire (for a gRPC caller, a
// gRPC status), and the gateway turns that into a Response, the sidecar writes it to its
// ServerResponse, each with the request's response headers (CORS, RateLimit-*) added.
import { statusOf } from '../errors/error-codes.ts';
import type { ErrorCode } from '../errors/error-codes.ts';
import { errorBody } from '../errors/http-error.ts';
import { grpcTrailersOnly } from '../grpc/trailers-only.ts';

export interface Answer {
  status: number;
  /** The error code, or null for an answer that is not an error (redirect, preflight). */
  code: ErrorCode | null;
  message: string;
  headers: Record<string, string>;
}

/** An error answer; its status is the table's unless the cause fixes another (a fault's abort status, an authn 503). */
export function refuse(code: ErrorCode, message: string, headers: Record<string, string> = {}, status = statusOf(code)): Answer {
  return { status, code, message, headers };
}

/** A bodiless answer (redirect, preflight). */
export function plainAnswer(status: number, headers: Record<string, string>): Answer {
  return { status, code: null, message: '', headers };
}

/** The body of an answer: the Weft JSON error, or nothing. */
export function answerBody(a: Answer): string | null {
  return a.code === null ? null : JSON.stringify(errorBody(a.code, a.message));
}

/** What renderAnswer reads of the request being answered. */
export interface AnsweredRequest {
  method: string;
  /** Its Content-Type header, or null. */
  contentType: string | null;
}

/** An answer as it goes on the wire, before the request's response headers are added. */
export interface RenderedAnswer {
  status: number;
  headers: Record<string, string>;
  /** null: no body, and the adapter writes no Content-Length for one either on an answer to HEAD. */
  body: string | null;
  /** The gRPC status a gRPC or gRPC-Web caller is answered with, else null. */
  grpcStatus: number | null;
}

/**
 * How answer `a` is written to `request`: to HEAD bodiless and without a Content-Type (the
 * status and the answer's own headers say it all; a HEAD is never a gRPC call); a refusal
 * to a gRPC or gRPC-Web caller in gRPC's trailers-only form (HTTP 200, the status in
 * `grpc-status`; core/grpc/trailers-only.ts); else the Weft JSON error or a bodiless
 * answer. `responseHeaders` are the ones the adapter adds afterwards (read here only for a
 * rate limit's Retry-After).
 */
export function renderAnswer(a: Answer, request: AnsweredRequest, responseHeaders: readonly (readonly [string, string])[] = []): RenderedAnswer {
  if (request.method.toUpperCase() === 'HEAD') return { status: a.status, headers: { ...a.headers }, body: null, grpcStatus: null };
  const grpc = grpcTrailersOnly(a, request.contentType, responseHeaders);
  if (grpc) return { status: grpc.status, headers: grpc.headers, body: null, grpcStatus: grpc.grpcStatus };
  const body = answerBody(a);
  return { status: a.status, headers: body === null ? { ...a.headers } : { ...a.headers, 'content-type': 'application/json' }, body, grpcStatus: null };
}
