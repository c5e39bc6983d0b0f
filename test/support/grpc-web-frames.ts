// gRPC-Web bodies framed and read by hand (grpc/grpc PROTOCOL-WEB.md), for tests on both sides
// of the edge (Web APIs only: the workerd tests use it too): a HelloRequest of
// test/fixtures/grpc/greeter.proto, a data frame around it, and a body's frames read back.

/** HelloRequest { name, fail_with } as protobuf (field 1 a short string, field 2 a small int). */
export function helloRequest(name: string, failWith = 0): Uint8Array {
  const n = new TextEncoder().encode(name);
  return new Uint8Array([0x0a, n.length, ...n, ...(failWith ? [0x10, failWith] : [])]);
}

/** One gRPC-Web frame: a flag byte (0 data, 0x80 trailers), a 4-byte big-endian length, the bytes. */
export function grpcWebFrame(message: Uint8Array, flag = 0): Uint8Array {
  const out = new Uint8Array(5 + message.length);
  out[0] = flag;
  new DataView(out.buffer).setUint32(1, message.length);
  out.set(message, 5);
  return out;
}

export interface GrpcWebFrames {
  /** HelloReply.message (field 1, a short string) of each data frame. */
  messages: string[];
  /** The trailer frame's `name: value` lines. */
  trailers: Record<string, string>;
}

export function parseGrpcWebFrames(body: Uint8Array): GrpcWebFrames {
  const out: GrpcWebFrames = { messages: [], trailers: {} };
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const text = new TextDecoder();
  for (let at = 0; at < body.length; ) {
    const flag = body[at] as number;
    const len = view.getUint32(at + 1);
    const payload = body.subarray(at + 5, at + 5 + len);
    at += 5 + len;
    if (flag & 0x80) {
      for (const line of text.decode(payload).split('\r\n').filter(Boolean)) out.trailers[line.slice(0, line.indexOf(':'))] = line.slice(line.indexOf(':') + 1).trim();
    } else out.messages.push(text.decode(payload.subarray(2, 2 + (payload[1] as number))));
  }
  return out;
}
