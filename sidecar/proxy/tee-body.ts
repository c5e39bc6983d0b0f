// A request body of unknown length (chunked, or HTTP/2 without content-length, as every gRPC
// call is) streamed to the first try while a copy is kept, so that a retry can send it again
// (Envoy's retry buffer). The copy is dropped once it passes the replay limit; a retry is
// possible only when the client's body has ended within that limit (a unary gRPC call, say),
// never while it is still streaming (a bidirectional one). Reading starts at once, so a body
// that came with its head is held before the first try can fail; the first try's stream
// applies back-pressure to the client as a pipe would.
import { PassThrough } from 'node:stream';
import type { Readable } from 'node:stream';

export class TeeBody {
  readonly #live = new PassThrough();
  #chunks: Buffer[] | null = [];
  #bytes = 0;
  #ended = false;
  #sent = false;

  constructor(source: Readable, limit: number) {
    const live = this.#live;
    live.on('drain', () => source.resume());
    // A first try that failed no longer reads: the copy still fills (for a retry) while it fits.
    live.on('close', () => source.resume());
    source.on('data', (chunk: Buffer) => {
      if (this.#chunks !== null) {
        this.#bytes += chunk.length;
        if (this.#bytes > limit) this.#chunks = null;
        else this.#chunks.push(chunk);
      }
      if (!live.destroyed && !live.write(chunk)) source.pause();
    });
    source.once('end', () => {
      this.#ended = true;
      live.end();
    });
    source.on('error', (e) => live.destroy(e));
    live.on('error', () => undefined); // reported by the try that reads it (forward.ts)
  }

  /** Whether the whole body is held: it ended within the limit. */
  complete(): boolean {
    return this.#ended && this.#chunks !== null;
  }

  /** The body for the next try: the live stream the first time, the held copy after that (only when complete()). */
  next(): Readable | Buffer {
    if (!this.#sent) {
      this.#sent = true;
      return this.#live;
    }
    const held = this.#chunks ?? [];
    return held.length === 1 ? (held[0] as Buffer) : Buffer.concat(held);
  }
}
