// The control API's one error type: a code from the one error-code table (its HTTP status
// comes from there, as on the gateway and in the sidecar) plus the JSON body every Weft
// surface answers with, `{ error: { code, message } }`.
import { statusOf } from '../../core/errors/error-codes.ts';
import type { ErrorCode } from '../../core/errors/error-codes.ts';
import { errorBody } from '../../core/errors/http-error.ts';

export class HttpError extends Error {
  readonly status: number;
  readonly code: ErrorCode;
  readonly details: unknown;
  readonly headers: Record<string, string>;
  constructor(code: ErrorCode, message: string, details?: unknown, headers: Record<string, string> = {}) {
    super(message);
    this.status = statusOf(code);
    this.code = code;
    this.details = details;
    this.headers = headers;
  }
}

export function errorResponse(e: HttpError): Response {
  return new Response(JSON.stringify(errorBody(e.code, e.message, e.details)), {
    status: e.status,
    headers: { 'content-type': 'application/json', ...e.headers },
  });
}
