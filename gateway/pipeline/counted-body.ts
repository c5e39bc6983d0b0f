// A request body of undeclared length (chunked) on its way upstream, counted against the limit
// core's request-size stage set. Past the limit nothing more is passed on and the upstream
// fetch is aborted (`signal`), so the try ends `oversize` (core answers 413) or, when the
// upstream's response already went to the client, that response is cut. The body stream is
// left unfinished rather than errored: workerd ends a chunked upload cleanly when its body
// stream errors, which would hand the upstream a truncated body as if it were whole.
export class CountedBody {
  readonly limit: number;
  /** Whether the body went over the limit (and was stopped). */
  exceeded = false;
  readonly stream: ReadableStream<Uint8Array>;
  /** Aborts the upstream fetch once the body went over the limit. */
  readonly signal: AbortSignal;
  readonly #stop = new AbortController();
  #bytes = 0;

  constructor(body: ReadableStream<Uint8Array>, limit: number) {
    this.limit = limit;
    this.signal = this.#stop.signal;
    this.stream = body.pipeThrough(new TransformStream<Uint8Array, Uint8Array>({ transform: (chunk, controller) => this.#count(chunk, controller) }));
  }

  #count(chunk: Uint8Array, controller: TransformStreamDefaultController<Uint8Array>): void {
    if (this.exceeded) return;
    this.#bytes += chunk.byteLength;
    if (this.#bytes <= this.limit) return controller.enqueue(chunk);
    this.exceeded = true;
    this.#stop.abort();
  }
}
