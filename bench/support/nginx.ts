// Private nginx instances for the proxy benchmarks: each its own process (`-p <dir> -c <conf>
// -g 'daemon off;'`), one worker, pid/error log/temp folders in its own folder, no access log,
// pinned with taskset, stopped by PID. The system's nginx service (if the package started one)
// is never touched.
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

function conf(dir: string, port: number, server: string, upstreams: string): string {
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
    listen 127.0.0.1:${port} reuseport;
    ${server}
  }
}
`;
}

async function start(tools: Tools, name: string, parent: string, cpus: string | undefined, server: string, upstreams = ''): Promise<Nginx> {
  const dir = join(parent, name);
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const file = join(dir, 'nginx.conf');
  writeFileSync(file, conf(dir, port, server, upstreams));
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
export function startNginxApp(tools: Tools, parent: string, cpus: string | undefined, body: string): Promise<Nginx> {
  const escaped = body.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
  return start(
    tools,
    'nginx-app',
    parent,
    cpus,
    `location / {
      default_type application/json;
      add_header x-app bench;
      return 200 "${escaped}";
    }`,
  );
}

/** nginx as a reverse proxy to 127.0.0.1:`upstreamPort`: one worker, upstream keep-alive. */
export function startNginxProxy(tools: Tools, parent: string, cpus: string | undefined, upstreamPort: number, name = 'nginx-proxy'): Promise<Nginx> {
  return start(
    tools,
    name,
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
  );
}
