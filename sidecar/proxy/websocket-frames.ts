// Just enough of the WebSocket framing (RFC 6455 §5.2) for a proxy that splices bytes: where
// each frame ends, so the proxy can put a Close frame of its own on the wire between two
// frames (never inside one) when it ends a socket itself. Payloads are skipped, not read or
// unmasked; extensions (permessage-deflate) do not change the frame header.

const MAX_HEADER = 14;

/** Follows one direction of a WebSocket connection, chunk by chunk. */
export class FrameBoundaries {
  readonly #head = Buffer.alloc(MAX_HEADER);
  #headLength = 0;
  #payloadLeft = 0;
  /** A Close frame (opcode 0x8) has started in this direction. */
  closeSeen = false;

  /** Whether the bytes so far end exactly at a frame boundary. */
  atBoundary(): boolean {
    return this.#payloadLeft === 0 && this.#headLength === 0;
  }

  feed(chunk: Buffer): void {
    this.#advance(chunk, false);
  }

  /**
   * Reads `chunk` up to the end of the frame in progress; the number of its bytes that belong
   * to that frame (0 at a boundary, `chunk.length` when the frame goes on past it).
   */
  feedToBoundary(chunk: Buffer): number {
    return this.atBoundary() ? 0 : this.#advance(chunk, true);
  }

  #advance(chunk: Buffer, stopAtBoundary: boolean): number {
    let i = 0;
    while (i < chunk.length) {
      if (stopAtBoundary && this.atBoundary()) return i;
      if (this.#payloadLeft > 0) {
        const skip = Math.min(this.#payloadLeft, chunk.length - i);
        this.#payloadLeft -= skip;
        i += skip;
        continue;
      }
      this.#head[this.#headLength++] = chunk[i++] as number;
      if (this.#headLength < 2 || this.#headLength < headerLength(this.#head)) continue;
      if (((this.#head[0] as number) & 0x0f) === 0x8) this.closeSeen = true;
      this.#payloadLeft = payloadLength(this.#head);
      this.#headLength = 0;
    }
    return i;
  }
}

/** The whole header's length, from its first two bytes. */
function headerLength(head: Buffer): number {
  const b1 = head[1] as number;
  const len7 = b1 & 0x7f;
  return 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + (b1 & 0x80 ? 4 : 0);
}

function payloadLength(head: Buffer): number {
  const len7 = (head[1] as number) & 0x7f;
  if (len7 === 126) return head.readUInt16BE(2);
  if (len7 === 127) return Number(head.readBigUInt64BE(2));
  return len7;
}

/**
 * A Close frame with `code` and `reason` (at most 123 bytes of UTF-8). `masked` for one sent
 * to a server (a client's frames must be masked, with an unpredictable key: RFC 6455 §5.3);
 * a server's frames are not.
 */
export function closeFrame(code: number, reason: string, masked: boolean): Buffer {
  const text = Buffer.from(reason, 'utf8').subarray(0, 123);
  const payload = Buffer.alloc(2 + text.length);
  payload.writeUInt16BE(code, 0);
  text.copy(payload, 2);
  if (!masked) return Buffer.concat([Buffer.from([0x88, payload.length]), payload]);
  const key = crypto.getRandomValues(Buffer.alloc(4));
  for (let i = 0; i < payload.length; i++) payload[i] = (payload[i] as number) ^ (key[i & 3] as number);
  return Buffer.concat([Buffer.from([0x88, 0x80 | payload.length]), key, payload]);
}
