// Small test helpers with no heavy imports (no Miniflare): bounded polling and local ports.
import { createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';

/** Polls `check` until it returns a value other than undefined/false; fails with `what` after `timeoutMs` (a bound, not a measurement). */
export async function waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A server listening on 127.0.0.1:`port` (0: any free port); rejects when the port is taken. */
export function listenOn(port = 0): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => resolve(s));
  });
}

/** A port on 127.0.0.1 where nothing listens right now (connection refused; for programs that cannot listen on port 0 and tell). */
export async function freePort(): Promise<number> {
  const s = await listenOn(0);
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}
