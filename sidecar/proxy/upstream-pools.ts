// Keep-alive connection pools, one undici Pool per upstream endpoint (origin) and connection
// limits. A pool is sized from its Service's connectionLimits: at most `maxConnections`
// sockets, one request per socket at a time (pipelining 1, so a slow response never blocks
// another behind it), recycled after `maxRequestsPerConnection`. When the endpoint set
// changes, pools nobody asks for any more are closed after a grace period (in-flight
// requests finish on them).
import { Pool } from 'undici';
import type { ConnectionLimits } from '../../core/lb/circuit-breaker.ts';
import { requestsPerConnection } from '../../core/lb/circuit-breaker.ts';

const RETIRE_AFTER_MS = 30_000;

export function newPool(origin: string, limits: ConnectionLimits | undefined): Pool {
  const perClient = limits ? requestsPerConnection(limits) : undefined;
  return new Pool(origin, {
    connections: limits?.maxConnections ?? null,
    pipelining: 1,
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 60_000,
    connectTimeout: 5_000,
    headersTimeout: 0, // the proxy's own timeout decides
    bodyTimeout: 300_000,
    ...(perClient !== undefined ? { maxRequestsPerClient: perClient } : {}),
  });
}

export class UpstreamPools {
  #current = new Map<string, Pool>();
  #retiring = new Map<string, Pool>();
  #timer: NodeJS.Timeout | undefined;

  /** The pool for an endpoint, created on first use. */
  get(address: string, port: number, protocol: 'http' | 'https', limits: ConnectionLimits): Pool {
    const key = `${protocol}|${address}|${port}|${limits.maxConnections}|${limits.maxRequestsPerConnection}`;
    let pool = this.#current.get(key);
    if (pool) return pool;
    pool = this.#retiring.get(key);
    if (pool) this.#retiring.delete(key);
    else pool = newPool(`${protocol}://${address.includes(':') ? `[${address}]` : address}:${port}`, limits);
    this.#current.set(key, pool);
    return pool;
  }

  /** The endpoint set changed: pools not asked for again within the grace period are closed. */
  retireUnused(): void {
    for (const [k, p] of this.#current) this.#retiring.set(k, p);
    this.#current = new Map();
    if (this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      const old = this.#retiring;
      this.#retiring = new Map();
      for (const p of old.values()) void p.close().catch(() => undefined);
    }, RETIRE_AFTER_MS);
    this.#timer.unref();
  }

  async close(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    const all = [...this.#current.values(), ...this.#retiring.values()];
    this.#current.clear();
    this.#retiring.clear();
    await Promise.all(all.map((p) => p.destroy().catch(() => undefined)));
  }
}
