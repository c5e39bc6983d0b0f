// The admin API on its own node:http server, bound to the sidecar's bind address.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleAdmin } from './admin-app.ts';
import type { AdminSource } from './admin-app.ts';

export interface AdminServer {
  readonly port: number;
  close(): Promise<void>;
}

export async function startAdminServer(source: AdminSource, host: string, port: number): Promise<AdminServer> {
  const server = createServer({ keepAliveTimeout: 5_000 }, (req, res) => {
    const path = (req.url ?? '/').split('?')[0] as string;
    void handleAdmin(source, req.method ?? 'GET', path).then((reply) => {
      res.writeHead(reply.status, { 'content-type': reply.contentType, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(reply.body) });
      res.end(req.method === 'HEAD' ? undefined : reply.body);
    });
  });
  server.on('clientError', (_e, socket) => socket.destroy());
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
