// Mesh: the one mesh-wide document: trust domain, identity lifetimes, mTLS mode, defaults.
import { z } from 'zod';
import { documentSchema } from '../shared/envelope.ts';
import { duration, positiveDuration } from '../shared/duration.ts';
import { maxRequestBytes } from '../shared/request-size.ts';
import { retries } from '../shared/resilience.ts';
import { DEFAULT_MAX_ROUTE_LABELS } from '../../telemetry/golden-metrics.ts';

const trustDomain = z
  .string()
  .max(255)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, 'expected a lower-case DNS name such as example.org');

export const meshSpec = z.strictObject({
  trustDomain: trustDomain.default('weft.local').describe('SPIFFE trust domain: identities are `spiffe://<trustDomain>/ns/<namespace>/sa/<service>`.'),
  identity: z
    .strictObject({
      jwtSvidTtl: positiveDuration.default('5m').describe('Lifetime of JWT-SVIDs.'),
      x509SvidTtl: positiveDuration.default('1h').describe('Lifetime of X.509-SVIDs; sidecars renew at half life.'),
    })
    .default({ jwtSvidTtl: '5m', x509SvidTtl: '1h' })
    .describe('Workload identity lifetimes (SPIFFE SVIDs).'),
  mtls: z
    .strictObject({
      mode: z.enum(['strict', 'permissive']).default('strict').describe('`strict`: sidecars accept only authenticated mesh callers. `permissive`: also plaintext, for migration.'),
    })
    .default({ mode: 'strict' })
    .describe('East-west mutual TLS.'),
  defaults: z
    .strictObject({
      timeout: duration.optional().describe('Overall request timeout for routes that set none; `0s` means none (built-in: 15s).'),
      retries: retries.optional().describe('Retry policy for routes that set none; fields merge with the route’s.'),
      maxRequestBytes: maxRequestBytes.optional().describe('Largest request body in bytes for routes that set none (built-in: 33554432, 32 MiB).'),
    })
    .default({})
    .describe('Defaults for every route rule that sets none.'),
  pathNormalization: z
    .strictObject({
      escapedSlashes: z.enum(['reject', 'keep', 'decode']).default('reject').describe('What to do with `%2F`, `%5C` and `\\` in paths: reject with 400, keep encoded, or decode to `/`.'),
      semicolons: z.enum(['reject', 'keep']).default('reject').describe('`;` in paths: reject with 400 (servlet path parameters can bypass path rules), or keep as a literal.'),
    })
    .default({ escapedSlashes: 'reject', semicolons: 'reject' })
    .describe('How request paths are normalized before routing and access checks (one definition for both).'),
  telemetry: z
    .strictObject({
      maxRouteLabels: z
        .number()
        .int()
        .min(1)
        .max(10_000)
        .default(DEFAULT_MAX_ROUTE_LABELS)
        .describe(
          'Most distinct `route` label values the golden metrics keep per destination service; requests on further routes are counted under `route="other"`. Route labels are compiled route and rule names only, never paths, users or tokens (docs/observability.md).',
        ),
    })
    .default({ maxRouteLabels: DEFAULT_MAX_ROUTE_LABELS })
    .describe('Golden metrics (requests, status, latency per source, destination and route): their cardinality bound.'),
});

export type MeshSpec = z.infer<typeof meshSpec>;

export const meshDocument = documentSchema('Mesh', meshSpec, 'Mesh-wide settings. At most one per snapshot; built-in defaults apply when there is none.');
