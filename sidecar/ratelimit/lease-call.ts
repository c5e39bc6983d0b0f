// The one control call behind `global` rate limits: POST /v1/ratelimit/leases with this
// workload's control token (JWT-SVID), many keys per call. See docs/control-api.md.
import { ControlError } from '../control/control-http.ts';
import type { ControlLink } from '../control/control-http.ts';

/** One key of a lease call: the bucket, whole tokens wanted, unspent whole tokens handed back. */
export interface LeaseItem {
  key: string;
  capacity: number;
  refillPerSecond: number;
  want: number;
  return: number;
}

export interface LeaseAnswer {
  /** How long granted tokens may be spent. */
  ttlMs: number;
  leases: { key: string; granted: number; remaining: number; holders: number }[];
}

/** Sends one batch; `final` = the last call while the sidecar closes. Rejects when control cannot be reached or refuses. */
export type LeaseFn = (leases: LeaseItem[], options: { final: boolean }) => Promise<LeaseAnswer>;

/** Most keys control accepts in one call. */
export const MAX_LEASE_KEYS = 256;

const count = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

export function parseLeaseAnswer(text: string): LeaseAnswer {
  const body = JSON.parse(text) as Partial<LeaseAnswer>;
  if (!count(body.ttlMs) || !Array.isArray(body.leases)) throw new Error('control answered a lease call without ttlMs and leases');
  for (const l of body.leases)
    if (typeof l?.key !== 'string' || !count(l.granted) || !count(l.remaining) || !count(l.holders))
      throw new Error('control answered a lease call with a malformed entry (needs key, granted, remaining, holders)');
  return body as LeaseAnswer;
}

export function controlLeaseCall(options: { link: ControlLink; token: () => string | undefined; nodeId: string }): LeaseFn {
  return async (leases, { final }) => {
    const token = options.token();
    if (!token) throw new ControlError(0, 'no_identity', 'POST /v1/ratelimit/leases: no workload identity yet (control token missing)');
    const res = await options.link.call('POST', '/v1/ratelimit/leases', { token, body: { nodeId: options.nodeId, leases }, duringClose: final });
    return parseLeaseAnswer(res.text);
  };
}
