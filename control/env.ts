// The control Worker's bindings (control/wrangler.toml) and secrets.
import type { ControlState } from './state/control-state.ts';

export interface ControlEnv {
  SNAPSHOTS: KVNamespace;
  CONTROL_STATE: DurableObjectNamespace<ControlState>;
  /** JSON array of private JWKs with `status`: next | active | retiring. */
  SIGNING_KEYS: string;
  /** JSON array of { certificatePem, privateKeyPem, status }. */
  CA: string;
  /** JSON array of { sha256, role }. */
  ADMIN_TOKENS: string;
  WEFT_ENV: string;
  TRUST_DOMAIN: string;
  STATUS_STALE_AFTER_SECONDS: string;
  ENDPOINT_TTL_SECONDS: string;
  MAX_BODY_BYTES: string;
}
