// The control API's one error type: an HTTP status plus the JSON body every Weft surface
// answers with, `{ error: { code, message } }`.
import { errorBody } from '../../core/errors/http-error.ts';

export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;
  readonly headers: Record<string, string>;
  constructor(status: number, code: string, message: string, details?: unknown, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
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
