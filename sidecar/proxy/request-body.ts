// The request body as the upstream exchange sends it: none, buffered (≤ 1 MiB, declared by
// Content-Length, so it can be retried and mirrored), or the request stream itself (larger
// or of unknown length: sent once, never retried; one of unknown length is counted against
// the route's body limit, `limit`, as it streams: counted-body.ts).
import type { Http2ServerRequest } from 'node:http2';
import type { Readable } from 'node:stream';
import type { DownstreamRequest } from './front-door.ts';
import { REPLAYABLE_BODY_BYTES } from '../../core/resilience/retry-plan.ts';
import { countedBody } from './counted-body.ts';

export type RequestBody = { body: null; replayable: true } | { body: Buffer; replayable: true } | { body: Readable; replayable: false };

/** Whether the request has a body: declared by its headers on HTTP/1.1; on HTTP/2, unless its HEADERS frame ended the stream. */
export function hasBody(req: DownstreamRequest): boolean {
  const length = req.headers['content-length'];
  if (length === '0') return false;
  if (req.httpVersionMajor === 2) return !(req as Http2ServerRequest).stream.endAfterHeaders;
  return req.headers['transfer-encoding'] !== undefined || length !== undefined;
}

/** The body streamed as it comes: a declared length is exact (HTTP/1.1's parser and HTTP/2's framing hold the client to it); any other is counted. */
export function streamedBody(req: DownstreamRequest, limit: number | null): Readable {
  return req.headers['content-length'] === undefined ? countedBody(req, limit) : req;
}

export async function requestBody(req: DownstreamRequest, limit: number | null): Promise<RequestBody> {
  if (!hasBody(req)) return { body: null, replayable: true };
  const declared = Number(req.headers['content-length']);
  if (!(declared <= REPLAYABLE_BODY_BYTES)) return { body: streamedBody(req, limit), replayable: false };
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return { body: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks), replayable: true };
}
