// `global` rate limits for sidecars: a sidecar leases tokens for many counter keys in one call
// and spends them locally, so no request waits on control. Buckets are scoped to the calling
// workload's service: a workload can neither read nor drain another service's counters.
import type { Hono } from 'hono';
import { authenticate } from '../auth/caller.ts';
import type { ControlEnv } from '../env.ts';
import { HttpError } from '../http/http-error.ts';
import { readJsonBody } from '../http/read-body.ts';
import { LEASE_TTL_MS } from '../state/lease-book.ts';
import type { LeaseAsk, LeaseGrant } from '../state/lease-book.ts';
import { leaseShard, leaseShardStub } from '../state/rate-limit-leases.ts';

type App = Hono<{ Bindings: ControlEnv }>;

export const MAX_LEASE_KEYS = 256;
const MAX_KEY_LENGTH = 1024;
/** Far above any sane limit (a billion requests at once, or per second), low enough to stay exact in a double. */
const MAX_BUCKET_NUMBER = 1e9;
const NODE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

function wholeNumber(v: unknown, field: string, at: number): number {
  if (v === undefined) return 0;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_BUCKET_NUMBER)
    throw new HttpError('bad_request', `leases[${at}].${field} must be a whole number from 0 to ${MAX_BUCKET_NUMBER}`);
  return v;
}

/** Validates a lease request; `scope` (the caller's service) prefixes every key. */
export function readLeaseRequest(body: Record<string, unknown>, scope: string): { nodeId: string; asks: LeaseAsk[] } {
  const { nodeId, leases } = body;
  if (typeof nodeId !== 'string' || !NODE_ID.test(nodeId)) throw new HttpError('bad_request', 'nodeId must be 1-128 characters of A-Z a-z 0-9 . _ : -');
  if (!Array.isArray(leases) || leases.length === 0 || leases.length > MAX_LEASE_KEYS)
    throw new HttpError('bad_request', `leases must be an array of 1 to ${MAX_LEASE_KEYS} entries; send more keys in further calls`);
  const seen = new Set<string>();
  const asks = leases.map((item: unknown, i): LeaseAsk => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) throw new HttpError('bad_request', `leases[${i}] must be an object {key, capacity, refillPerSecond, want, return}`);
    const { key, capacity, refillPerSecond } = item as Record<string, unknown>;
    if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH) throw new HttpError('bad_request', `leases[${i}].key must be a string of 1 to ${MAX_KEY_LENGTH} characters`);
    if (seen.has(key)) throw new HttpError('bad_request', `leases[${i}].key repeats an earlier key in this call; send one entry per key`);
    seen.add(key);
    if (typeof capacity !== 'number' || !Number.isFinite(capacity) || capacity < 1 || capacity > MAX_BUCKET_NUMBER)
      throw new HttpError('bad_request', `leases[${i}].capacity must be a number from 1 to ${MAX_BUCKET_NUMBER} (the limit's burst)`);
    if (typeof refillPerSecond !== 'number' || !Number.isFinite(refillPerSecond) || refillPerSecond <= 0 || refillPerSecond > MAX_BUCKET_NUMBER)
      throw new HttpError('bad_request', `leases[${i}].refillPerSecond must be a number above 0 and at most ${MAX_BUCKET_NUMBER}`);
    const record = item as Record<string, unknown>;
    return { key: `${scope}|${key}`, bucket: { capacity, refillPerSecond }, want: wholeNumber(record.want, 'want', i), returned: wholeNumber(record.return, 'return', i) };
  });
  return { nodeId, asks };
}

export function registerRateLimitLeaseRoutes(app: App): void {
  app.post('/v1/ratelimit/leases', async (c) => {
    const caller = await authenticate(c.req.raw, c.env, { workload: true });
    if (caller.kind !== 'workload') throw new HttpError('forbidden', 'rate-limit leases are for workloads');
    const scope = `${caller.namespace}/${caller.service}`;
    const { nodeId, asks } = readLeaseRequest(await readJsonBody(c.req.raw, 256 * 1024), scope);
    // One RPC per shard that holds any of the keys, all at once; answers go back in ask order.
    const byShard = new Map<number, number[]>();
    asks.forEach((a, i) => {
      const shard = leaseShard(a.key);
      const list = byShard.get(shard);
      if (list) list.push(i);
      else byShard.set(shard, [i]);
    });
    const grants: LeaseGrant[] = new Array<LeaseGrant>(asks.length);
    await Promise.all(
      [...byShard].map(async ([shard, indexes]) => {
        const answers = await leaseShardStub(c.env, shard).lease(`${caller.spiffeId}#${nodeId}`, indexes.map((i) => asks[i] as LeaseAsk));
        answers.forEach((g, j) => (grants[indexes[j] as number] = g));
      }),
    );
    const prefix = scope.length + 1;
    return c.json({ ttlMs: LEASE_TTL_MS, leases: grants.map((g) => ({ key: g.key.slice(prefix), granted: g.granted, remaining: g.remaining, holders: g.holders })) });
  });
}
