// The control Worker's bindings (control/wrangler.toml) and secrets.
import type { ControlState } from './state/control-state.ts';
import type { RateLimitLeases } from './state/rate-limit-leases.ts';

export interface ControlEnv {
  SNAPSHOTS: KVNamespace;
  CONTROL_STATE: DurableObjectNamespace<ControlState>;
  /** Shards of the `global` rate-limit buckets sidecars lease from (POST /v1/ratelimit/leases). */
  RATE_LIMIT_LEASES: DurableObjectNamespace<RateLimitLeases>;
  /** JSON array of private JWKs with `status`: next | active | retiring. */
  SIGNING_KEYS: string;
  /** JSON array of { certificatePem, privateKeyPem, status }. */
  CA: string;
  /** JSON array of { sha256, role }. */
  ADMIN_TOKENS: string;
  STATUS_STALE_AFTER_SECONDS: string;
  ENDPOINT_TTL_SECONDS: string;
  MAX_BODY_BYTES: string;
}

const DEFAULT_MAX_BODY_BYTES = 5 * 1024 * 1024;

/** The request body limit; a missing or malformed setting falls back to 5 MiB, never to "no limit". */
export function maxBodyBytes(env: ControlEnv): number {
  const n = Number(env.MAX_BODY_BYTES);
  return Number.isInteger(n) && n > 0 ? n : DEFAULT_MAX_BODY_BYTES;
}
