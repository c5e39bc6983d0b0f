// Small test helpers with no heavy imports (no Miniflare): bounded polling and local ports.
import { createServer } from 'node:net';
import type { Server } from 'node:net';

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

/**
 * The first of `count` consecutive ports on 127.0.0.1 where nothing listens right now (a few
 * bounded attempts). They are drawn from 20000–32767, below the kernel's ephemeral range, so
 * no `listen(0)` (another test's server, workerd) or outgoing connection takes one meanwhile:
 * for programs that cannot listen on port 0 and tell, a server restarted on its port, and a
 * port that must stay dead (connection refused).
 */
export async function freeRange(count: number): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const base = 20000 + Math.floor(Math.random() * (12768 - count));
    const held: Server[] = [];
    try {
      for (let i = 0; i < count; i++) held.push(await listenOn(base + i));
      return base;
    } catch {
      // taken: try another range
    } finally {
      await Promise.all(held.map((s) => new Promise((r) => s.close(r))));
    }
  }
  throw new Error('no free port range');
}

/** One port of freeRange: nothing listens on it, and no `listen(0)` will take it. */
export function freePort(): Promise<number> {
  return freeRange(1);
}
