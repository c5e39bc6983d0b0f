// The request body as the upstream exchange sends it: none, buffered (≤ 1 MiB, declared by
// Content-Length, so it can be retried and mirrored), or the request stream itself (larger
// or of unknown length: sent once, never retried).
import type { IncomingMessage } from 'node:http';
import { REPLAYABLE_BODY_BYTES } from '../../core/resilience/retry-plan.ts';

export type RequestBody = { body: null; replayable: true } | { body: Buffer; replayable: true } | { body: IncomingMessage; replayable: false };

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

export async function requestBody(req: IncomingMessage): Promise<RequestBody> {
  if (!hasBody(req)) return { body: null, replayable: true };
  const declared = Number(req.headers['content-length']);
  if (req.headers['transfer-encoding'] !== undefined || !(declared <= REPLAYABLE_BODY_BYTES)) return { body: req, replayable: false };
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return { body: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks), replayable: true };
}
