// Answers the sidecar makes itself (a stage's, or its own before the stages run): the Weft
// JSON error shape `{ error: { code, message } }` or a bodiless redirect, with the request's
// response headers (RateLimit-*, Retry-After) added.
import type { ServerResponse } from 'node:http';
import { answerBody } from '../../core/pipeline/answer.ts';
import type { Answer } from '../../core/pipeline/answer.ts';

export function writeAnswer(res: ServerResponse, a: Answer, extra: readonly [string, string][] = []): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = answerBody(a);
  const headers: Record<string, string | number> = { ...a.headers };
  for (const [name, value] of extra) headers[name] = name === 'vary' && headers.vary ? `${headers.vary}, ${value}` : value;
  if (body !== null) headers['content-type'] = 'application/json';
  headers['content-length'] = body === null ? 0 : Buffer.byteLength(body);
  res.writeHead(a.status, headers);
  res.end(body ?? undefined);
}
