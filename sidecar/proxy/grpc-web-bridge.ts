// The inbound's gRPC-Web bridge (Envoy's grpc_web filter role): a gRPC-Web call (HTTP/1.1 from
// the edge gateway, which cannot speak HTTP/2, or from any gRPC-Web client) to a Service whose
// app speaks native gRPC. The request goes to the app as gRPC over h2c (content type, `te:
// trailers`, a base64 `-text` body decoded as it streams); the answer comes back as gRPC-Web:
// the same message frames, the app's trailers as the body's last frame, all in base64 for
// `-text`. A trailers-only answer stays one head (gRPC-Web clients read grpc-status there).
import type { OutgoingHttpHeaders } from 'node:http';
import { Transform } from 'node:stream';
import type { Readable } from 'node:stream';
import { Base64StreamDecoder, base64Piece, grpcWebContentType, grpcWebTrailerFrame, isGrpcWebText, nativeGrpcContentType } from '../../core/grpc/grpc-web.ts';
import { removeHeader, setHeader } from './header-list.ts';

/** How a response is re-encoded on its way to the client (forward.ts). */
export interface ResponseCodec {
  /** The response head as the client gets it. */
  head(list: string[]): string[];
  data(chunk: Buffer): Buffer;
  /** The last bytes of the body, from the upstream's trailers (none: nothing to add). */
  end(trailers: OutgoingHttpHeaders | undefined): Buffer | null;
}

const toBuffer = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

function trailerEntries(t: OutgoingHttpHeaders): [string, string][] {
  const out: [string, string][] = [];
  for (const [name, value] of Object.entries(t)) for (const v of Array.isArray(value) ? value : [value]) if (v !== undefined) out.push([name, String(v)]);
  return out;
}

/** The `-text` request body, decoded from base64 as it streams. */
function decodingBody(body: Readable): Readable {
  const decoder = new Base64StreamDecoder();
  const t = new Transform({
    transform(chunk: Buffer, _enc, done) {
      try {
        done(null, toBuffer(decoder.push(chunk)));
      } catch (e) {
        done(e as Error);
      }
    },
    flush(done) {
      try {
        decoder.end();
        done();
      } catch (e) {
        done(e as Error);
      }
    },
  });
  body.on('error', (e) => t.destroy(e));
  return body.pipe(t);
}

export interface GrpcWebBridge {
  /** The request body to send the app (decoded when `-text`). */
  body: Readable | null;
  codec: ResponseCodec;
}

/**
 * Turns the upstream request `headers` (a flat list, changed in place) of a gRPC-Web call into
 * a native gRPC one, and returns its body and the response codec.
 */
export function bridgeGrpcWeb(requestContentType: string, headers: string[], body: Readable | null): GrpcWebBridge {
  const text = isGrpcWebText(requestContentType);
  setHeader(headers, 'content-type', nativeGrpcContentType(requestContentType));
  setHeader(headers, 'te', 'trailers');
  // The body's length changes when decoded; HTTP/2 frames carry it anyway.
  removeHeader(headers, 'content-length');
  const codec: ResponseCodec = {
    head(list) {
      let native: string | null = null;
      for (let i = 0; i < list.length; i += 2) if (list[i] === 'content-type') native = list[i + 1] as string;
      setHeader(list, 'content-type', grpcWebContentType(native, requestContentType));
      removeHeader(list, 'content-length');
      return list;
    },
    data: (chunk) => (text ? toBuffer(base64Piece(chunk)) : chunk),
    end(trailers) {
      if (!trailers) return null;
      const frame = grpcWebTrailerFrame(trailerEntries(trailers));
      return toBuffer(text ? base64Piece(frame) : frame);
    },
  };
  return { body: body && text ? decodingBody(body) : body, codec };
}
