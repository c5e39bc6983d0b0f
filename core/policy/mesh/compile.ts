// Mesh compile step: durations to milliseconds, defaults filled, so data planes read numbers.
import { ms } from '../shared/duration.ts';
import { BUILTIN_MAX_REQUEST_BYTES } from '../shared/request-size.ts';
import { BUILTIN_RETRIES, BUILTIN_TIMEOUT_MS } from '../shared/resilience.ts';
import type { CompiledRetries, RetriesSpec } from '../shared/resilience.ts';
import { meshSpec } from './schema.ts';
import type { MeshSpec } from './schema.ts';

export interface CompiledMesh {
  trustDomain: string;
  identity: { jwtSvidTtlMs: number; x509SvidTtlMs: number };
  mtls: { mode: 'strict' | 'permissive' };
  defaults: { timeoutMs: number; retries: CompiledRetries; maxRequestBytes: number };
  pathNormalization: { escapedSlashes: 'reject' | 'keep' | 'decode'; semicolons: 'reject' | 'keep' };
  /** Absent in snapshots compiled before the field existed: readers fall back to DEFAULT_MAX_ROUTE_LABELS. */
  telemetry?: { maxRouteLabels: number };
}

/** Fills a retry policy field by field from `spec`, else from `base`. */
export function mergeRetries(spec: RetriesSpec | undefined, base: CompiledRetries): CompiledRetries {
  if (!spec) return base;
  const baseMs = spec.backoff ? ms(spec.backoff.baseInterval) : base.backoff.baseMs;
  const maxMs = spec.backoff ? (spec.backoff.maxInterval ? ms(spec.backoff.maxInterval) : baseMs * 10) : base.backoff.maxMs;
  return {
    attempts: spec.attempts ?? base.attempts,
    perTryTimeoutMs: spec.perTryTimeout ? ms(spec.perTryTimeout) : base.perTryTimeoutMs,
    retryOn: spec.retryOn ? [...new Set(spec.retryOn)].sort() : base.retryOn,
    statusCodes: spec.statusCodes ? [...new Set(spec.statusCodes)].sort((a, b) => a - b) : base.statusCodes,
    backoff: { baseMs, maxMs },
    budget: spec.budget ? { percent: spec.budget.percent, minRetriesPerSecond: spec.budget.minRetriesPerSecond } : base.budget,
    nonIdempotent: spec.nonIdempotent ?? base.nonIdempotent,
  };
}

export function compileMesh(spec: MeshSpec): CompiledMesh {
  return {
    trustDomain: spec.trustDomain,
    identity: { jwtSvidTtlMs: ms(spec.identity.jwtSvidTtl), x509SvidTtlMs: ms(spec.identity.x509SvidTtl) },
    mtls: { mode: spec.mtls.mode },
    defaults: {
      timeoutMs: spec.defaults.timeout ? ms(spec.defaults.timeout) : BUILTIN_TIMEOUT_MS,
      retries: mergeRetries(spec.defaults.retries, BUILTIN_RETRIES),
      maxRequestBytes: spec.defaults.maxRequestBytes ?? BUILTIN_MAX_REQUEST_BYTES,
    },
    pathNormalization: { ...spec.pathNormalization },
    telemetry: { maxRouteLabels: spec.telemetry.maxRouteLabels },
  };
}

/** The Mesh used when a snapshot has no Mesh document. */
export const DEFAULT_MESH: CompiledMesh = compileMesh(meshSpec.parse({}));
