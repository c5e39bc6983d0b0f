// The Gateway API conformance suite's gRPC backend, rebuilt on grpc-js: the GrpcEcho service of
// test/fixtures/grpc/grpcecho.proto (upstream's echo-basic), on 127.0.0.1 over h2c. Echo and
// EchoTwo answer with what the call carried (its full method, metadata and :authority) and the
// server's name as its pod; EchoThree is left unimplemented, as upstream's is. One client call
// helper names the authority a sidecar's outbound routes by.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { fileURLToPath } from 'node:url';

const PROTO = fileURLToPath(new URL('../fixtures/grpc/grpcecho.proto', import.meta.url));

export interface EchoResponse {
  assertions?: { fullyQualifiedMethod: string; headers: { key: string; value: string }[]; authority: string; context?: { pod: string } };
}

let service: grpc.ServiceClientConstructor | undefined;
function grpcEchoService(): grpc.ServiceClientConstructor {
  if (!service) {
    const pkg = grpc.loadPackageDefinition(protoLoader.loadSync(PROTO, { keepCase: false, longs: Number, defaults: true })) as unknown as {
      gateway_api_conformance: { echo_basic: { grpcecho: { GrpcEcho: grpc.ServiceClientConstructor } } };
    };
    service = pkg.gateway_api_conformance.echo_basic.grpcecho.GrpcEcho;
  }
  return service;
}

export interface GrpcEchoServer {
  name: string;
  port: number;
  close(): Promise<void>;
}

export async function startGrpcEcho(name: string): Promise<GrpcEchoServer> {
  const server = new grpc.Server();
  const echo = (call: grpc.ServerUnaryCall<object, EchoResponse>, cb: grpc.sendUnaryData<EchoResponse>) => {
    const headers = Object.entries(call.metadata.getMap()).map(([key, value]) => ({ key, value: String(value) }));
    cb(null, { assertions: { fullyQualifiedMethod: call.getPath(), headers, authority: String(call.metadata.get(':authority')[0] ?? ''), context: { pod: name } } });
  };
  // EchoThree is not implemented: grpc-js answers UNIMPLEMENTED for it.
  server.addService(grpcEchoService().service, { Echo: echo, EchoTwo: echo });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  return { name, port, close: () => new Promise<void>((r) => server.tryShutdown(() => r())) };
}

export interface GrpcEchoAnswer {
  code: number;
  response: EchoResponse | null;
}

/** A client on one channel to 127.0.0.1:port naming `authority`; close() when done. */
export function grpcEchoClient(port: number, authority: string): grpc.Client {
  const GrpcEcho = grpcEchoService();
  return new GrpcEcho(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { 'grpc.default_authority': authority });
}

/** One unary call of `method` (Echo, EchoTwo or EchoThree) with `metadata`: its status code and answer. */
export function callGrpcEcho(client: grpc.Client, method: string, metadata: Record<string, string> = {}): Promise<GrpcEchoAnswer> {
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(metadata)) md.set(k, v);
  const call = (client as unknown as Record<string, (req: object, md: grpc.Metadata, options: grpc.CallOptions, cb: (e: grpc.ServiceError | null, r?: EchoResponse) => void) => void>)[method];
  if (!call) throw new Error(`GrpcEcho has no method ${method}`);
  return new Promise((resolve) => {
    call.call(client, {}, md, { deadline: Date.now() + 10_000 }, (e, r) => resolve(e ? { code: e.code, response: null } : { code: grpc.status.OK, response: r ?? null }));
  });
}
