// The admin API on a node:http server (@hono/node-server), bound to the sidecar's bind address.
import { createAdaptorServer } from '@hono/node-server';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdminApp } from './admin-app.ts';
import type { AdminSource } from './admin-app.ts';

export interface AdminServer {
  readonly port: number;
  close(): Promise<void>;
}

export async function startAdminServer(source: AdminSource, host: string, port: number): Promise<AdminServer> {
  const app = createAdminApp(source);
  const server = createAdaptorServer({ fetch: app.fetch, hostname: host, port }) as Server;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
