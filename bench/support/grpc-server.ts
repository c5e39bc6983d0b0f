// The gRPC server of bench/grpc.bench.ts, the same process in every lane: the Greeter of
// test/fixtures/grpc/greeter.proto (SayHello) in C++ on gRPC's C core (greeter-server.cc,
// Debian's libgrpc++, installed when missing), built on first use into .weft/bench/cache
// under a hash of its sources and the compiler, and pinned with taskset.
//
// Not Node, for the same reason the HTTP benches' app is nginx: the server shares a core with
// the load generator, and a grpc-js server's own CPU per call would cap the direct and nginx
// lanes and hide what the proxies cost. Here it answers tens of thousands of calls per second
// on one core. When it cannot be built (no root, no apt), or with WEFT_BENCH_GRPC_SERVER=grpc-js,
// the grpc-js Greeter (test/support/grpc-greeter.ts) runs in its own process instead, and
// `what` says so.
//
// Both count the calls they answered (`count <n>` on stdin → `calls <n> <answered>`), so the
// bench checks that h2load's HTTP 200s were answered calls, not gRPC errors (also HTTP 200).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureDebianCommands, ensureDebianFiles } from '../../test/support/debian-packages.ts';
import { startProcess, stopProcess, waitForOutput } from './sidecar-processes.ts';
import type { Started } from './sidecar-processes.ts';
import { pinned } from './wrk.ts';
import type { Tools } from './wrk.ts';

export interface GrpcServer {
  /** What it puts in HelloReply.server. */
  name: string;
  port: number;
  pid: number;
  /** Which server runs, and why when it is the fallback. */
  what: string;
  /** Unary calls the server has answered so far. */
  calls(): Promise<number>;
  stop(): Promise<void>;
}

const HERE = fileURLToPath(new URL('.', import.meta.url));
const SOURCE = join(HERE, 'greeter-server.cc');
const PROTO_DIR = join(HERE, '../../test/fixtures/grpc');

/** Runs a build step to its end (recorded by PID like every process; killed at `timeoutMs`); throws with its output on failure. */
async function run(name: string, argv: string[], cwd: string, timeoutMs: number): Promise<string> {
  const p = startProcess(name, argv, { cwd });
  const kill = setTimeout(() => p.child.kill('SIGKILL'), timeoutMs);
  await p.closed;
  clearTimeout(kill);
  await stopProcess(p);
  if (p.child.exitCode !== 0) throw new Error(`${argv.join(' ')} exited ${p.child.exitCode ?? p.child.signalCode}:\n${p.output().slice(-2000)}`);
  return p.output();
}

/** The C++ server's binary: from the cache, or built now (protoc + g++, a few tens of seconds). */
async function cppBinary(root: string, work: string, log: (line: string) => void): Promise<string> {
  const { paths } = ensureDebianCommands({ protoc: 'protobuf-compiler', grpc_cpp_plugin: 'protobuf-compiler-grpc', 'pkg-config': 'pkg-config', 'g++': 'g++' }, log);
  ensureDebianFiles({ '/usr/include/grpcpp/grpcpp.h': 'libgrpc++-dev', '/usr/include/google/protobuf/message.h': 'libprotobuf-dev' }, log);
  const pkgs = ['grpc++', 'protobuf'];
  const flags = (await run('pkg-config', [paths['pkg-config'] as string, '--cflags', '--libs', ...pkgs], work, 30_000)).trim().split(/\s+/);
  const versions = await run('pkg-config', [paths['pkg-config'] as string, '--modversion', ...pkgs], work, 30_000);
  const compiler = await run('g++', [paths['g++'] as string, '--version'], work, 30_000);
  const proto = join(PROTO_DIR, 'greeter.proto');
  const hash = createHash('sha256').update(readFileSync(SOURCE)).update(readFileSync(proto)).update(versions).update(compiler).digest('hex').slice(0, 16);
  const cache = join(root, '.weft/bench/cache', `greeter-server-${hash}`);
  const binary = join(cache, 'greeter-server');
  if (existsSync(binary)) return binary;

  log('building the C++ gRPC server (bench/support/greeter-server.cc; cached in .weft/bench/cache)');
  const dir = join(work, 'greeter-build');
  mkdirSync(dir, { recursive: true });
  await run('protoc', [paths.protoc as string, `-I${PROTO_DIR}`, `--cpp_out=${dir}`, `--grpc_out=${dir}`, `--plugin=protoc-gen-grpc=${paths.grpc_cpp_plugin}`, proto], dir, 60_000);
  const out = join(dir, 'greeter-server');
  await run('g++', [paths['g++'] as string, '-O2', '-std=c++17', '-o', out, SOURCE, 'greeter.pb.cc', 'greeter.grpc.pb.cc', `-I${dir}`, ...flags, '-lpthread'], dir, 240_000);
  mkdirSync(cache, { recursive: true });
  renameSync(out, binary);
  return binary;
}

/** Asks the server how many calls it has answered. */
function counter(p: Started): () => Promise<number> {
  let seq = 0;
  return async () => {
    const n = ++seq;
    p.child.stdin?.write(`count ${n}\n`);
    const m = await waitForOutput(p, new RegExp(`^calls ${n} (\\d+)$`, 'm'), 10_000);
    return Number(m[1]);
  };
}

export async function startGrpcServer(o: { root: string; work: string; cpus: string | undefined; tools: Pick<Tools, 'taskset'>; log: (line: string) => void }): Promise<GrpcServer> {
  let argv: string[];
  let what: string;
  let name: string;
  const forced = process.env.WEFT_BENCH_GRPC_SERVER === 'grpc-js';
  let binary: string | Error = new Error('WEFT_BENCH_GRPC_SERVER=grpc-js');
  if (!forced) binary = await cppBinary(o.root, o.work, o.log).catch((e: unknown) => e as Error);
  if (typeof binary === 'string') {
    name = 'cpp-greeter';
    argv = [binary, name];
    what = "C++ gRPC 1.51 callback server (bench/support/greeter-server.cc, Debian's libgrpc++)";
  } else {
    name = 'grpc-js-greeter';
    argv = [process.execPath, join(HERE, 'grpc-js-greeter.ts')];
    what = `grpc-js server in its own Node process (the C++ server is not running: ${binary.message.split('\n')[0]}); its CPU per call caps the direct and nginx lanes`;
    if (!forced) o.log(`the C++ gRPC server could not be built, using grpc-js: ${binary.message.slice(0, 1500)}`);
  }
  const p = startProcess('grpc-server', pinned(o.tools, o.cpus, argv), { stdin: 'pipe' });
  const port = Number((await waitForOutput(p, /^LISTENING (\d+)$/m, 30_000))[1]);
  return { name, port, pid: p.pid, what, calls: counter(p), stop: () => stopProcess(p) };
}
