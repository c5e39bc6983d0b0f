// The Durable Object behind `POST /v1/ratelimit/leases`: one shard of the mesh's `global`
// rate-limit buckets (the route picks the shard by a hash of the key, so many keys spread over
// several objects and no single one serialises the mesh). Buckets live in memory, as the
// gateway's GlobalRateLimiter's do: an object that restarts forgets them, and each comes back
// full (at most one extra burst per key), which is cheaper than a storage write per lease.
import { DurableObject } from 'cloudflare:workers';
import type { ControlEnv } from '../env.ts';
import { LeaseBook } from './lease-book.ts';
import type { LeaseAsk, LeaseGrant } from './lease-book.ts';

export class RateLimitLeases extends DurableObject<ControlEnv> {
  private readonly book = new LeaseBook();

  lease(node: string, asks: LeaseAsk[]): LeaseGrant[] {
    return this.book.lease(node, asks, Date.now());
  }
}

/** Shards of the lease namespace. Changing it moves keys to other shards (each comes back full once). */
export const LEASE_SHARDS = 16;

/** FNV-1a (32 bit) of the key, for a stable shard. */
export function leaseShard(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % LEASE_SHARDS;
}

export function leaseShardStub(env: ControlEnv, shard: number): DurableObjectStub<RateLimitLeases> {
  return env.RATE_LIMIT_LEASES.get(env.RATE_LIMIT_LEASES.idFromName(`shard-${shard}`));
}
