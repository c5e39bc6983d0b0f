// Answers the sidecar makes itself: the Weft JSON error shape, `{ error: { code, message } }`.
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { errorBody } from '../../core/errors/http-error.ts';

export function replyError(res: ServerResponse, status: number, code: string, message: string, headers: OutgoingHttpHeaders = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify(errorBody(code, message));
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
