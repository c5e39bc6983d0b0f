// Private nginx instances for the proxy benchmarks: each its own process (`-p <dir> -c <conf>
// -g 'daemon off;'`), one worker, pid/error log/temp folders in its own folder, no access log,
// pinned with taskset, stopped by PID. The system's nginx service (if the package started one)
// is never touched. With `http2`, the port speaks cleartext HTTP/2 with prior knowledge only
// (nginx's `listen … http2` without TLS), as h2load and gRPC clients do.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { childPids } from '../../test/support/process-stats.ts';
import { freePort, startProcess, stopProcess, waitForPort } from './sidecar-processes.ts';
import type { Started } from './sidecar-processes.ts';
import { pinned } from './wrk.ts';
import type { Tools } from './wrk.ts';

export interface Nginx {
  name: string;
  port: number;
  master: Started;
  /** Worker PIDs (one); with the master, what the benchmark measures. */
  workers: number[];
  pids(): number[];
  stop(): Promise<void>;
}

function conf(dir: string, port: number, server: string, upstreams: string, http2: boolean): string {
  const tmp = (n: string) => `${n}_temp_path ${join(dir, n)};`;
  return `
worker_processes 1;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 4096; }
http {
  access_log off;
  ${['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(tmp).join('\n  ')}
  keepalive_timeout 65s;
  keepalive_requests 10000000;
  ${upstreams}
  server {
    listen 127.0.0.1:${port} reuseport${http2 ? ' http2' : ''};
    ${server}
  }
}
`;
}

async function start(tools: Tools, name: string, parent: string, cpus: string | undefined, server: string, upstreams = '', http2 = false): Promise<Nginx> {
  const dir = join(parent, name);
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const file = join(dir, 'nginx.conf');
  writeFileSync(file, conf(dir, port, server, upstreams, http2));
  const master = startProcess(name, pinned(tools, cpus, [tools.nginx, '-p', dir, '-e', join(dir, 'error.log'), '-c', file, '-g', 'daemon off;']));
  try {
    await waitForPort(master, port);
  } catch (e) {
    let log = '';
    try {
      log = readFileSync(join(dir, 'error.log'), 'utf8').slice(-2000);
    } catch {
      // no log yet
    }
    await stopProcess(master);
    throw new Error(`${(e as Error).message}\n${log}`, { cause: e });
  }
  // The worker is forked right after the master binds; give it a moment to appear.
  let workers: number[] = [];
  for (let i = 0; i < 40 && workers.length === 0; i++) {
    workers = childPids(master.pid);
    if (workers.length === 0) await new Promise((r) => setTimeout(r, 25));
  }
  if (workers.length === 0) throw new Error(`${name}: no worker process under master ${master.pid}`);
  return {
    name,
    port,
    master,
    workers,
    pids: () => [master.pid, ...workers],
    stop: () => stopProcess(master, 3_000, workers),
  };
}

/** The app: `return 200` with a small JSON body and a marker header, from one worker. */
export function startNginxApp(tools: Tools, parent: string, cpus: string | undefined, body: string, o: { name?: string; http2?: boolean } = {}): Promise<Nginx> {
  const escaped = body.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
  return start(
    tools,
    o.name ?? 'nginx-app',
    parent,
    cpus,
    `location / {
      default_type application/json;
      add_header x-app bench;
      return 200 "${escaped}";
    }`,
    '',
    o.http2 ?? false,
  );
}

/** nginx as a reverse proxy to 127.0.0.1:`upstreamPort` (HTTP/1.1): one worker, upstream keep-alive. */
export function startNginxProxy(tools: Tools, parent: string, cpus: string | undefined, upstreamPort: number, o: { name?: string; http2?: boolean } = {}): Promise<Nginx> {
  return start(
    tools,
    o.name ?? 'nginx-proxy',
    parent,
    cpus,
    `location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
    }`,
    `upstream app {
    server 127.0.0.1:${upstreamPort};
    keepalive 64;
    keepalive_requests 10000000;
  }`,
    o.http2 ?? false,
  );
}

/**
 * nginx as a gRPC proxy (`grpc_pass`) to the h2c gRPC server at 127.0.0.1:`upstreamPort`:
 * h2c in, one worker, upstream keep-alive. nginx sends each call upstream on a connection of
 * its own (it does not multiplex streams towards the upstream): the pool holds about as many
 * connections as calls in flight.
 */
export function startNginxGrpcProxy(tools: Tools, parent: string, cpus: string | undefined, upstreamPort: number): Promise<Nginx> {
  return start(
    tools,
    'nginx-grpc',
    parent,
    cpus,
    `location / {
      grpc_pass grpc://grpc_app;
    }`,
    `upstream grpc_app {
    server 127.0.0.1:${upstreamPort};
    keepalive 64;
    keepalive_requests 10000000;
  }`,
    true,
  );
}
