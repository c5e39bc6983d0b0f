// The fallback gRPC server of bench/grpc.bench.ts when the C++ one cannot be built: the
// grpc-js Greeter of test/support/grpc-greeter.ts in a process of its own, speaking the same
// stdin protocol as greeter-server.cc (`count <n>` → `calls <n> <answered>`; exit when stdin closes).
import { createInterface } from 'node:readline';
import { startGreeter } from '../../test/support/grpc-greeter.ts';

const server = await startGreeter('grpc-js-greeter');
console.log(`LISTENING ${server.port}`);
const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const m = /^count (\S+)$/.exec(line);
  if (m) console.log(`calls ${m[1]} ${server.calls}`);
});
lines.on('close', () => void server.close().finally(() => process.exit(0)));
