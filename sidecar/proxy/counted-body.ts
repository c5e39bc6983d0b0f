// A request body of undeclared length (chunked; an HTTP/2 stream without content-length) on
// its way upstream, counted against the limit core's request-size stage set. Past the limit
// nothing more is passed on: the counted stream fails, undici aborts the upstream request,
// and the try ends `oversize` (core answers 413) unless a response head has gone out already
// (then forward.ts cuts the response). The client's request is not destroyed for that, since
// its connection still carries the 413: the rest of its body is read and discarded, as Node
// does with any body an early answer leaves unread. Nothing is held beyond a stream buffer.
import { Transform } from 'node:stream';
import type { Readable, TransformCallback } from 'node:stream';

export class CountedBody extends Transform {
  readonly limit: number;
  /** Whether the body went over the limit (and was stopped). */
  exceeded = false;
  #bytes = 0;

  constructor(limit: number) {
    super();
    this.limit = limit;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.#bytes += chunk.length;
    if (this.#bytes <= this.limit) return done(null, chunk);
    this.exceeded = true;
    done(new Error(`the request body went over the limit of ${this.limit} bytes`));
  }
}

/** `req`'s body as the upstream gets it, counted; `limit` null: the body itself, uncounted. */
export function countedBody(req: Readable, limit: number | null): Readable {
  if (limit === null) return req;
  const counted = new CountedBody(limit);
  // Its failure is reported to whoever reads it (undici, the tee) through their own listeners;
  // with none attached yet, an 'error' event must not end the process.
  counted.on('error', () => undefined);
  req.pipe(counted);
  // pipe() passes on neither a broken client body nor a client that left: the upstream
  // request must break too, as it did when undici read the client's request itself.
  req.on('error', (e) => counted.destroy(e));
  req.on('close', () => {
    if (!req.readableEnded) counted.destroy(new Error('the client closed the request before its body ended'));
  });
  counted.on('close', () => {
    if (req.readableEnded || req.destroyed) return;
    if (counted.exceeded) req.resume();
    else req.destroy(); // the upstream gave up on the body: so does the client's connection, as before
  });
  return counted;
}
