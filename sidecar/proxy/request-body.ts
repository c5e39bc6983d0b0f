// The request body as the upstream exchange sends it: none, buffered (≤ 1 MiB, declared by
// Content-Length, so it can be retried and mirrored), or the request stream itself (larger
// or of unknown length: sent once, never retried).
import type { Http2ServerRequest } from 'node:http2';
import type { DownstreamRequest } from './front-door.ts';
import { REPLAYABLE_BODY_BYTES } from '../../core/resilience/retry-plan.ts';

export type RequestBody = { body: null; replayable: true } | { body: Buffer; replayable: true } | { body: DownstreamRequest; replayable: false };

/** Whether the request has a body: declared by its headers on HTTP/1.1; on HTTP/2, unless its HEADERS frame ended the stream. */
export function hasBody(req: DownstreamRequest): boolean {
  const length = req.headers['content-length'];
  if (length === '0') return false;
  if (req.httpVersionMajor === 2) return !(req as Http2ServerRequest).stream.endAfterHeaders;
  return req.headers['transfer-encoding'] !== undefined || length !== undefined;
}

export async function requestBody(req: DownstreamRequest): Promise<RequestBody> {
  if (!hasBody(req)) return { body: null, replayable: true };
  const declared = Number(req.headers['content-length']);
  if (!(declared <= REPLAYABLE_BODY_BYTES)) return { body: req, replayable: false };
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return { body: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks), replayable: true };
}
