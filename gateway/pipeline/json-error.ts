// Every answer the gateway makes itself is the Weft JSON error shape.
import { errorBody } from '../../core/errors/http-error.ts';

export function jsonError(status: number, code: string, message: string, headers: HeadersInit = {}): Response {
  const h = new Headers(headers);
  h.set('content-type', 'application/json');
  return new Response(JSON.stringify(errorBody(code, message)), { status, headers: h });
}
