// The control client's configuration and status shapes, and the defaults of its test knobs.
export interface ControlClientOptions {
  /** Control plane base URL, e.g. http://127.0.0.1:8788. */
  controlUrl: string;
  /** A join token (wjt_…); needed unless a usable identity is on disk. */
  joinToken?: string;
  /** Last-known-good state (identity, bundle, snapshot, endpoints): created 0700, files 0600. */
  stateDir: string;
  self: { service: string; namespace: string; instanceId: string; labels: Record<string, string> };
  /** The inbound address to register as an endpoint; null = do not register. */
  register: { address: string; port: number } | null;
  /** Structured log lines (level, msg, …). */
  log: (entry: Record<string, unknown>) => void;
  /** Long-poll wait for snapshot and endpoints watches (default 55, at most 60). */
  longPollSeconds?: number;
  /** Exponential backoff with full jitter after a failed call. */
  backoff?: { baseMs: number; maxMs: number };
  /** Timeout of one ordinary control call (long polls get the wait on top). Default 10 s. */
  requestTimeoutMs?: number;
  /** TTL of the endpoint registration; heartbeats every third of it. Default 30. */
  endpointTtlSeconds?: number;
  /** How often the trust bundle (edge keys included) is fetched again. Default 60 s. */
  bundleRefreshMs?: number;
  /** How often status is reported even when nothing changed (control marks a node stale after 60 s). Default 20 s. */
  statusEveryMs?: number;
}

export interface ResolvedOptions extends ControlClientOptions {
  longPollSeconds: number;
  backoff: { baseMs: number; maxMs: number };
  requestTimeoutMs: number;
  endpointTtlSeconds: number;
  bundleRefreshMs: number;
  statusEveryMs: number;
}

export function resolveOptions(o: ControlClientOptions): ResolvedOptions {
  return {
    ...o,
    controlUrl: o.controlUrl.replace(/\/+$/, ''),
    longPollSeconds: Math.min(60, Math.max(0, o.longPollSeconds ?? 55)),
    backoff: o.backoff ?? { baseMs: 500, maxMs: 30_000 },
    requestTimeoutMs: o.requestTimeoutMs ?? 10_000,
    endpointTtlSeconds: o.endpointTtlSeconds ?? 30,
    bundleRefreshMs: o.bundleRefreshMs ?? 60_000,
    statusEveryMs: o.statusEveryMs ?? 20_000,
  };
}

export interface ControlClientStatus {
  connected: boolean;
  snapshot: { version: string; appliedAt: string; fromDisk: boolean } | null;
  rejected: { version: string; reason: string } | null;
  endpointsVersion: string | null;
  svid: { spiffeId: string; expiresAt: string } | null;
  /** The X.509-SVID for mutual TLS (renewed at half life with the controlToken). */
  x509Svid: { spiffeId: string; expiresAt: string } | null;
  /** Why the sidecar is not ready for mutual TLS (no X.509-SVID, or one about to expire unrenewed), or null. */
  x509Problem: string | null;
  lastError: string | null;
}

export type Logger = (entry: Record<string, unknown>) => void;
