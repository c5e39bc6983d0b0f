// The rate-limit decision: which counter a request falls in for each limit, and whether it
// may pass all the limits that apply. Headers follow the IETF RateLimit header draft
// (`ratelimit-limit`, `ratelimit-remaining`, `ratelimit-reset`) plus `retry-after` on a 429.
import type { CompiledLimit, LimitKey } from '../policy/rate-limit/compile.ts';
import { resolveClaim } from '../authn/claims.ts';
import { parseIp } from '../policy/shared/cidr.ts';
import type { CounterStore, TakeResult, TokenBucket } from './counter-store.ts';

/** What the proxy knows about a request when it counts it. Null = not known / not present. */
export interface LimitContext {
  clientIp: string | null;
  /** Name of the API key the request authenticated with. */
  apiKey: string | null;
  /** Caller SPIFFE ID (mesh mTLS). */
  principal: string | null;
  /** End user, `iss/sub`. */
  requestPrincipal: string | null;
  headers: { get(name: string): string | null };
  /** Verified JWT claims, or the API key's claims. */
  claims: Record<string, unknown> | null;
}

export interface ApplicableLimit {
  /** RateLimit document id (`namespace/name`). */
  policy: string;
  limit: CompiledLimit;
}

export interface RateLimitOutcome {
  allowed: boolean;
  deniedBy?: { policy: string; limit: string };
  /** Lower-case names; empty when no limit applied to the request. */
  headers: Record<string, string>;
  /** Limits whose store failed; they were skipped (fail open), for the adapter to log. */
  failedOpen?: { policy: string; limit: string; error: unknown }[];
}

/** The bucket a limit describes: burst as capacity, `requests` per period as the refill. */
export function limitBucket(limit: CompiledLimit): TokenBucket {
  return { capacity: limit.burst, refillPerSecond: (limit.requests * 1000) / limit.periodMs };
}

// Every address in an IPv6 /64 is usually one subscriber (SLAAC hands out the whole
// prefix), so counting per /128 would let one client rotate through 2^64 buckets.
function clientIpKey(ip: string): string {
  const bytes = parseIp(ip.trim());
  if (!bytes) return ip.trim().toLowerCase();
  const mapped = bytes.length === 16 && bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  if (bytes.length === 4 || mapped) return Array.from(bytes.subarray(bytes.length - 4)).join('.');
  const groups: string[] = [];
  for (let i = 0; i < 8; i += 2) groups.push((((bytes[i] as number) << 8) | (bytes[i + 1] as number)).toString(16));
  return `${groups.join(':')}::/64`;
}

function claimString(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/**
 * The value a request is counted under for one limit, or undefined when the request lacks
 * that key (then the limit does not count it). An empty value counts as absent.
 */
export function limitKey(limit: CompiledLimit, ctx: LimitContext): string | undefined {
  const key: LimitKey = limit.key;
  let value: string | null | undefined;
  if (key === 'client-ip') value = ctx.clientIp ? clientIpKey(ctx.clientIp) : null;
  else if (key === 'api-key') value = ctx.apiKey;
  else if (key === 'principal') value = ctx.principal;
  else if (key === 'request-principal') value = ctx.requestPrincipal;
  else if ('header' in key) value = ctx.headers.get(key.header);
  else value = claimString(resolveClaim(ctx.claims, key.claim));
  return value ? value : undefined;
}

function keyKind(key: LimitKey): string {
  if (typeof key === 'string') return key;
  return 'header' in key ? `header=${key.header}` : `claim=${encodeURIComponent(key.claim)}`;
}

/**
 * The store key: policy, limit name, key kind and value. Each part is URI-encoded, so no
 * value can forge a separator and land in another limit's counter.
 */
export function counterKey(policy: string, limit: CompiledLimit, value: string): string {
  let prefix = prefixes.get(limit);
  if (prefix?.policy !== policy) prefixes.set(limit, (prefix = { policy, text: `${encodeURIComponent(policy)}:${encodeURIComponent(limit.name)}:${keyKind(limit.key)}:` }));
  return prefix.text + encodeURIComponent(value);
}

/** counterKey's fixed part, per compiled limit (built once per snapshot, not per request). */
const prefixes = new WeakMap<CompiledLimit, { policy: string; text: string }>();

interface Counted {
  policy: string;
  limit: CompiledLimit;
  result: TakeResult;
}

function headersFor(c: Counted, retryAfter: number | null): Record<string, string> {
  const h: Record<string, string> = {
    'ratelimit-limit': String(c.limit.burst),
    'ratelimit-remaining': String(c.result.remaining),
    'ratelimit-reset': String(c.result.resetSeconds),
  };
  if (retryAfter !== null) h['retry-after'] = String(Math.max(1, retryAfter));
  return h;
}

/**
 * Counts the request against every limit whose key it has (all of them, concurrently: a
 * denied request still spends a token in the limits that admitted it, as separate counters
 * would), and allows it only if all admit it. The headers describe the most restrictive
 * limit: on a denial the one that asks the longest wait, else the one with fewest tokens left.
 * When every store answers synchronously (local limits only), so does this.
 */
export function checkRateLimits(
  limits: readonly ApplicableLimit[],
  ctx: LimitContext,
  stores: { local: CounterStore; global: CounterStore },
  now: number,
): RateLimitOutcome | Promise<RateLimitOutcome> {
  const failedOpen: NonNullable<RateLimitOutcome['failedOpen']> = [];
  // A rate limiter that cannot count must not take the service down with it.
  const failed = (policy: string, limit: CompiledLimit, error: unknown): undefined => {
    failedOpen.push({ policy, limit: limit.name, error });
    return undefined;
  };
  const taken: (Counted | undefined | Promise<Counted | undefined>)[] = [];
  let remote = false;
  for (const { policy, limit } of limits) {
    const value = limitKey(limit, ctx);
    if (value === undefined) continue;
    try {
      const result = stores[limit.scope].take(counterKey(policy, limit, value), limitBucket(limit), now);
      // A thenable, not only a Promise: a Workers RPC call answers with its own kind.
      if (typeof (result as Partial<PromiseLike<TakeResult>>).then === 'function') {
        remote = true;
        taken.push(Promise.resolve(result).then((r) => ({ policy, limit, result: r }), (error: unknown) => failed(policy, limit, error)));
      } else taken.push({ policy, limit, result: result as TakeResult });
    } catch (error) {
      failed(policy, limit, error);
    }
  }
  return remote ? Promise.all(taken).then((settled) => outcomeOf(settled, failedOpen)) : outcomeOf(taken as (Counted | undefined)[], failedOpen);
}

function outcomeOf(settled: readonly (Counted | undefined)[], failedOpen: NonNullable<RateLimitOutcome['failedOpen']>): RateLimitOutcome {
  const counted = settled.filter((c): c is Counted => c !== undefined);
  const extra = failedOpen.length > 0 ? { failedOpen } : {};
  const denied = counted.filter((c) => !c.result.allowed);
  const worstDenied = denied.reduce<Counted | undefined>((w, c) => (!w || c.result.retryAfterSeconds > w.result.retryAfterSeconds ? c : w), undefined);
  if (worstDenied)
    return {
      allowed: false,
      deniedBy: { policy: worstDenied.policy, limit: worstDenied.limit.name },
      headers: headersFor(worstDenied, worstDenied.result.retryAfterSeconds),
      ...extra,
    };
  const tightest = counted.reduce<Counted | undefined>(
    (w, c) =>
      !w || c.result.remaining < w.result.remaining || (c.result.remaining === w.result.remaining && c.result.resetSeconds > w.result.resetSeconds) ? c : w,
    undefined,
  );
  return { allowed: true, headers: tightest ? headersFor(tightest, null) : {}, ...extra };
}
