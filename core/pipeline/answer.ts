// What a stage answers when it ends the request itself: an error (the Weft JSON body, its
// status from the one error-code table), or a bodiless answer (a redirect, a CORS preflight).
// Runtime-neutral data: the gateway turns it into a Response, the sidecar writes it to its
// ServerResponse, each with the request's response headers (CORS, RateLimit-*) added.
import { statusOf } from '../errors/error-codes.ts';
import type { ErrorCode } from '../errors/error-codes.ts';
import { errorBody } from '../errors/http-error.ts';

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
