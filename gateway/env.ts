// The gateway Worker's bindings (wrangler.toml).
import type { ControlRpc } from '../control/gateway-rpc.ts';
import type { GlobalRateLimiter } from './rate-limit/global-rate-limiter.ts';

export interface GatewayEnv {
  /** The control plane's KV namespace: signed snapshots under `snapshot/current`. */
  SNAPSHOTS: KVNamespace;
  /** Service binding to the control Worker's ControlRpc entrypoint. */
  CONTROL: Service<ControlRpc>;
  /** Mesh-wide (`global`) rate-limit counters. */
  RATE_LIMITS: DurableObjectNamespace<GlobalRateLimiter>;
  WEFT_ENV: string;
  /**
   * The port clients reach the gateway on, which a redirect that sets neither scheme nor port
   * keeps; unset, the well-known port of the request's scheme (Cloudflare's 443 and 80).
   * `weft dev` sets it to the port it serves on.
   */
  LISTENER_PORT?: string;
  /**
   * Cloudflare zones (apex names, comma-separated) the gateway's edge hosts are routed in. A
   * try to an endpoint given by host name in the same zone as the request's host goes to
   * `https://<host>/…` with `cf.resolveOverride`, so the backend sees the client's Host
   * (core/http/edge-upstream-target.ts, docs/gateway.md). Unset: every try goes to the
   * endpoint's address.
   */
  ZONE_NAMES?: string;
  /** How often an isolate checks KV for a new snapshot version. */
  SNAPSHOT_CHECK_SECONDS?: string;
  /** Private JWK (ES256/EdDSA) that signs edge tokens; a Worker secret. Generated per isolate outside production. */
  GATEWAY_SIGNING_KEY?: string;
  /** How long a fetched issuer JWKS is fresh (default 300 s) and how long a stale one is still used while the issuer is down (default 3600 s). */
  JWKS_TTL_SECONDS?: string;
  JWKS_GRACE_SECONDS?: string;
  /** Node id reported to control; defaults to `gateway-<isolate>`. */
  GATEWAY_NODE_ID?: string;
  /** OTLP/HTTP collector base URL (spans go to `<url>/v1/traces`, JSON). Unset: no spans are recorded; traceparent still propagates. */
  OTEL_EXPORTER_OTLP_ENDPOINT?: string;
  /** Headers for the collector, `key=value,key2=value2` (e.g. an API key); a Worker secret. */
  OTEL_EXPORTER_OTLP_HEADERS?: string;
}
