// Answers the sidecar makes itself (a stage's, or its own before the stages run): the Weft
// JSON error shape `{ error: { code, message } }` or a bodiless redirect, with the request's
// response headers (RateLimit-*, Retry-After) added. Over HTTP/2 the head is set, not written,
// so that end() sends it on the frame that ends the stream: a bodiless answer is then one
// HEADERS frame (what a gRPC client needs to read a trailers-only status).
import { Http2ServerResponse } from 'node:http2';
import { answerBody } from '../../core/pipeline/answer.ts';
import type { Answer } from '../../core/pipeline/answer.ts';
import type { DownstreamResponse } from './front-door.ts';

export function writeAnswer(res: DownstreamResponse, a: Answer, extra: readonly [string, string][] = []): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = answerBody(a);
  const headers: Record<string, string | number> = { ...a.headers };
  for (const [name, value] of extra) headers[name] = name === 'vary' && headers.vary ? `${headers.vary}, ${value}` : value;
  if (body !== null) headers['content-type'] = 'application/json';
  headers['content-length'] = body === null ? 0 : Buffer.byteLength(body);
  if (res instanceof Http2ServerResponse) {
    res.statusCode = a.status;
    for (const name in headers) res.setHeader(name, headers[name] as string | number);
  } else res.writeHead(a.status, headers);
  if (body === null) res.end();
  else res.end(body);
}
