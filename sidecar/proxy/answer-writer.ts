// Answers the sidecar makes itself (a stage's, or its own before the stages run), as core
// renders them for the request: the Weft JSON error shape `{ error: { code, message } }`, a
// gRPC status (trailers-only) for a gRPC or gRPC-Web caller, or a bodiless redirect; with
// the request's response headers (RateLimit-*, Retry-After) added. The head is set, not
// written, so that end() sends it on the frame that ends the stream: over HTTP/2 a bodiless
// answer is then one HEADERS frame (what a gRPC client needs to read a trailers-only status),
// and the access log reads the grpc-status back from the response.
import { renderAnswer } from '../../core/pipeline/answer.ts';
import type { Answer } from '../../core/pipeline/answer.ts';
import type { DownstreamResponse } from './front-door.ts';

/** Writes `a` in the form core renders for the request (its method and content type, read from `res.req`). */
export function writeAnswer(res: DownstreamResponse, a: Answer, extra: readonly [string, string][] = []): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const contentType = res.req.headers['content-type'];
  const method = res.req.method ?? 'GET';
  const r = renderAnswer(a, { method, contentType: typeof contentType === 'string' ? contentType : null }, extra);
  const headers: Record<string, string | number> = { ...r.headers };
  for (const [name, value] of extra) headers[name] = name === 'vary' && headers.vary ? `${headers.vary}, ${value}` : value;
  // An answer to HEAD describes no body, not even an empty one.
  if (method !== 'HEAD') headers['content-length'] = r.body === null ? 0 : Buffer.byteLength(r.body);
  res.statusCode = r.status;
  for (const name in headers) res.setHeader(name, headers[name] as string | number);
  if (r.body === null) res.end();
  else res.end(r.body);
}
