// gRPC-Web framing (grpc/grpc PROTOCOL-WEB.md), runtime-neutral: what a bridge between a
// gRPC-Web caller (a browser, or anything behind the edge, which cannot speak HTTP/2) and a
// native gRPC server needs. Messages are framed as in gRPC; the differences are the content
// type, trailers sent as a last frame in the body (flag 0x80, `name: value\r\n` lines) and,
// for `-text`, the body in base64 (each piece padded on its own, so pieces can be decoded and
// encoded as they stream).

const TEXT = /^application\/grpc-web-text(\+|;|$)/i;
const WEB = /^application\/grpc-web(-text)?(\+[a-z0-9.-]+)?/i;

/** Whether a gRPC-Web content type carries its body in base64 (`application/grpc-web-text…`). */
export function isGrpcWebText(contentType: string): boolean {
  return TEXT.test(contentType);
}

/** The native gRPC content type for a gRPC-Web one: `application/grpc-web-text+proto` → `application/grpc+proto`. */
export function nativeGrpcContentType(contentType: string): string {
  const m = WEB.exec(contentType);
  return `application/grpc${m?.[2] ?? ''}`;
}

/** The gRPC-Web content type for a native gRPC answer, in the caller's encoding: `application/grpc+proto` → `application/grpc-web+proto`. */
export function grpcWebContentType(nativeContentType: string | null, requestContentType: string): string {
  const suffix = /^application\/grpc(\+[a-z0-9.-]+)?/i.exec(nativeContentType ?? '')?.[1] ?? '';
  return `application/grpc-web${isGrpcWebText(requestContentType) ? '-text' : ''}${suffix}`;
}

const encoder = new TextEncoder();

/** The trailer frame that ends a gRPC-Web body: flag 0x80, a 4-byte big-endian length, then `name: value\r\n` lines (names lower-case). */
export function grpcWebTrailerFrame(trailers: Iterable<readonly [string, string]>): Uint8Array {
  let text = '';
  for (const [name, value] of trailers) text += `${name.toLowerCase()}: ${value}\r\n`;
  const block = encoder.encode(text);
  const frame = new Uint8Array(5 + block.length);
  frame[0] = 0x80;
  new DataView(frame.buffer).setUint32(1, block.length);
  frame.set(block, 5);
  return frame;
}

function bytesToBinary(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return s;
}

/** One piece of a `-text` body: base64 of `bytes`, padded (as ASCII bytes). */
export function base64Piece(bytes: Uint8Array): Uint8Array {
  return encoder.encode(btoa(bytesToBinary(bytes)));
}

/**
 * Decodes a `-text` body as it streams: base64 in pieces of any size, each possibly padded on
 * its own. Whole 4-character groups are decoded as they arrive (a group ending in `=` closes
 * a padded piece); the rest waits for the next chunk. Whitespace is skipped. Throws on a
 * character that is not base64.
 */
export class Base64StreamDecoder {
  #pending = '';

  push(chunk: Uint8Array): Uint8Array {
    const text = this.#pending + bytesToBinary(chunk).replace(/[\r\n\t ]/g, '');
    const whole = text.length - (text.length % 4);
    this.#pending = text.slice(whole);
    return this.#decode(text.slice(0, whole));
  }

  /** What is left at the end of the body: nothing, or an error for a truncated group. */
  end(): void {
    if (this.#pending.length > 0) throw new Error(`the base64 body ends in an incomplete group (${this.#pending.length} characters)`);
  }

  #decode(groups: string): Uint8Array {
    if (groups.length === 0) return new Uint8Array(0);
    if (!/^[A-Za-z0-9+/=]*$/.test(groups)) throw new Error('the body is not base64 (application/grpc-web-text)');
    // A padded group may sit in the middle (pieces padded on their own): decode piece by piece.
    const parts: Uint8Array[] = [];
    let start = 0;
    for (let i = 0; i < groups.length; i += 4) {
      if (groups.charCodeAt(i + 3) === 61 /* = */) {
        parts.push(decode(groups.slice(start, i + 4)));
        start = i + 4;
      }
    }
    if (start < groups.length) parts.push(decode(groups.slice(start)));
    if (parts.length === 1) return parts[0] as Uint8Array;
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

function decode(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
