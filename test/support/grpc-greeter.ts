// A real gRPC server and client (grpc-js with proto-loader, neither written here) for the
// protocol tests: the Greeter of test/fixtures/grpc/greeter.proto on 127.0.0.1, h2c. Each
// server knows its name (which instance answered), echoes the metadata keys it received, sends
// `x-echo` back as header metadata and `x-trailer-bin` as trailing metadata, and fails or
// waits when a request asks it to.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { fileURLToPath } from 'node:url';

const PROTO = fileURLToPath(new URL('../fixtures/grpc/greeter.proto', import.meta.url));

export interface HelloRequest {
  name: string;
  failWith?: number;
  delayMs?: number;
}
export interface HelloReply {
  message: string;
  server: string;
  seenMetadata: string[];
}

type GreeterClient = grpc.Client & {
  SayHello(req: HelloRequest, md: grpc.Metadata, options: grpc.CallOptions, cb: (e: grpc.ServiceError | null, r?: HelloReply) => void): grpc.ClientUnaryCall;
  CountTo(req: { to: number }, md?: grpc.Metadata): grpc.ClientReadableStream<HelloReply>;
  Collect(cb: (e: grpc.ServiceError | null, r?: HelloReply) => void): grpc.ClientWritableStream<HelloRequest>;
  Chat(md?: grpc.Metadata): grpc.ClientDuplexStream<HelloRequest, HelloReply>;
};

let definition: grpc.GrpcObject | undefined;
function greeterPackage(): grpc.GrpcObject {
  definition ??= grpc.loadPackageDefinition(protoLoader.loadSync(PROTO, { keepCase: false, longs: Number, defaults: true }));
  return definition.helloworld as grpc.GrpcObject;
}

function reply(server: string, call: { metadata: grpc.Metadata }, message: string): HelloReply {
  return { message, server, seenMetadata: Object.keys(call.metadata.getMap()).sort() };
}

export interface GreeterServer {
  name: string;
  port: number;
  /** Unary calls answered, by this server. */
  calls: number;
  close(): Promise<void>;
}

/** `failAll`: every unary call fails with this gRPC status (a sick instance). */
export async function startGreeter(name: string, o: { failAll?: number } = {}): Promise<GreeterServer> {
  const server = new grpc.Server();
  const state: GreeterServer = { name, port: 0, calls: 0, close: () => new Promise<void>((r) => server.tryShutdown(() => r())) };
  const Greeter = greeterPackage().Greeter as grpc.ServiceClientConstructor;
  server.addService(Greeter.service, {
    SayHello: (call: grpc.ServerUnaryCall<HelloRequest, HelloReply>, cb: grpc.sendUnaryData<HelloReply>) => {
      state.calls++;
      const answer = () => {
        if (o.failAll) return cb({ code: o.failAll, details: `${name} is sick` });
        if (call.request.failWith) return cb({ code: call.request.failWith, details: `${name} fails as asked` });
        const echo = call.metadata.get('x-echo')[0];
        if (echo !== undefined) {
          const md = new grpc.Metadata();
          md.set('x-echo', String(echo));
          call.sendMetadata(md);
        }
        const trailer = new grpc.Metadata();
        trailer.set('x-trailer-bin', Buffer.from([0, 1, 2, 255]));
        cb(null, reply(name, call, `hello ${call.request.name}`), trailer);
      };
      if (call.request.delayMs) setTimeout(answer, call.request.delayMs);
      else answer();
    },
    CountTo: (call: grpc.ServerWritableStream<{ to: number }, HelloReply>) => {
      for (let i = 1; i <= call.request.to; i++) call.write(reply(name, call, String(i)));
      call.end();
    },
    Collect: (call: grpc.ServerReadableStream<HelloRequest, HelloReply>, cb: grpc.sendUnaryData<HelloReply>) => {
      let n = 0;
      call.on('data', () => n++);
      call.on('end', () => cb(null, reply(name, call, `collected ${n}`)));
    },
    Chat: (call: grpc.ServerDuplexStream<HelloRequest, HelloReply>) => {
      call.on('data', (m: HelloRequest) => call.write(reply(name, call, m.name)));
      call.on('end', () => call.end());
    },
  });
  state.port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, port) => (e ? reject(e) : resolve(port))));
  return state;
}

/** A Greeter client on ONE channel to `127.0.0.1:port`, naming `authority` (a sidecar's outbound routes by it). */
export function greeterClient(port: number, authority?: string): GreeterClient {
  const Greeter = greeterPackage().Greeter as grpc.ServiceClientConstructor;
  return new Greeter(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), authority ? { 'grpc.default_authority': authority } : {}) as unknown as GreeterClient;
}

/** A unary SayHello as a promise: the reply with its header and trailing metadata, or the gRPC error. */
export function sayHello(
  client: GreeterClient,
  req: HelloRequest,
  o: { metadata?: Record<string, string>; deadlineMs?: number } = {},
): Promise<{ reply: HelloReply; headers: grpc.Metadata; trailers: grpc.Metadata }> {
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(o.metadata ?? {})) md.set(k, v);
  return new Promise((resolve, reject) => {
    let headers = new grpc.Metadata();
    let answer: HelloReply | undefined;
    // grpc-js calls back before it emits 'status' (with the trailing metadata).
    const call = client.SayHello(req, md, o.deadlineMs ? { deadline: Date.now() + o.deadlineMs } : {}, (e, r) => (e ? reject(e) : (answer = r)));
    call.on('metadata', (m) => (headers = m));
    call.on('status', (s) => {
      if (answer) resolve({ reply: answer, headers, trailers: s.metadata });
    });
  });
}

export { grpc };
