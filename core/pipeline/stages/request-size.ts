// The request-body limit (`maxRequestBytes`: the matched rule's, else the Mesh default). A
// declared Content-Length over it is answered 413 here, before anything goes upstream. A body
// of undeclared length (chunked, an HTTP/2 stream without content-length) cannot be judged
// yet: the limit is recorded on the context, the adapter's body piece counts the body
// against it as it streams, and the try that passes it ends `oversize` (answered with
// bodyTooLarge below) or, after a response head went out, is cut.
import { refuse } from '../answer.ts';
import type { Answer } from '../answer.ts';
import type { Stage } from '../context.ts';

export function bodyTooLarge(limit: number): Answer {
  return refuse('body_too_large', `the request body is larger than this route's limit of ${limit} bytes (maxRequestBytes)`);
}

export const requestSizeStage: Stage = (c) => {
  const limit = c.match?.rule.maxRequestBytes ?? c.runtime.snapshot.body.mesh.defaults.maxRequestBytes;
  c.maxRequestBytes = limit;
  const declared = c.request.headers.get('content-length');
  // A value that is no number is the runtime's to refuse; what it lets through is counted.
  return declared !== null && Number(declared) > limit ? bodyTooLarge(limit) : undefined;
};
