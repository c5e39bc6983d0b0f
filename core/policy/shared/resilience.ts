// Timeouts and retries: written on Route rules and as Mesh defaults, merged field by field
// by the compiler (rule value, else Mesh default, else the built-in default below).
import { z } from 'zod';
import { duration, positiveDuration } from './duration.ts';

/** HTTP conditions, then gRPC status conditions (Envoy's names; a status the upstream answered in a trailers-only head). */
export const RETRY_ON = [
  '5xx',
  'gateway-error',
  'reset',
  'connect-failure',
  'retriable-status-codes',
  'cancelled',
  'deadline-exceeded',
  'internal',
  'resource-exhausted',
  'unavailable',
] as const;

export const retries = z.strictObject({
  attempts: z.number().int().min(0).max(10).optional().describe('Retries after the first try (0 disables retries).'),
  perTryTimeout: duration.optional().describe('Timeout of each try; `0s` means none (each try then runs until the overall timeout).'),
  retryOn: z
    .array(z.enum(RETRY_ON))
    .optional()
    .describe(
      'Conditions that trigger a retry: `5xx`, `gateway-error` (502, 503, 504), `reset`, `connect-failure`, `retriable-status-codes`; for gRPC calls the status the upstream answered with: `cancelled`, `deadline-exceeded`, `internal`, `resource-exhausted`, `unavailable`.',
    ),
  statusCodes: z.array(z.number().int().min(400).max(599)).optional().describe('Codes retried when `retryOn` has `retriable-status-codes`.'),
  backoff: z
    .strictObject({
      baseInterval: positiveDuration.describe('First backoff; doubled each retry, with full jitter.'),
      maxInterval: positiveDuration.optional().describe('Cap on the backoff; 10 × baseInterval when omitted.'),
    })
    .optional()
    .describe('Exponential backoff between retries.'),
  budget: z
    .strictObject({
      percent: z.number().min(0).max(100).describe('Retries allowed as a percent of active requests to the service.'),
      minRetriesPerSecond: z
        .number()
        .int()
        .min(0)
        .default(10)
        .describe('Retries always allowed per second, whatever the percent, counted over 10 s (a burst may use ten seconds’ worth at once).'),
    })
    .optional()
    .describe('Retry budget (Linkerd/Envoy style): caps retries so they cannot amplify an outage.'),
  nonIdempotent: z
    .boolean()
    .optional()
    .describe('Also retry POST and PATCH. Off by default: only idempotent methods are retried, except after a connect failure and, for a gRPC call, on its gRPC status conditions.'),
});

export type RetriesSpec = z.infer<typeof retries>;

export interface CompiledRetries {
  attempts: number;
  perTryTimeoutMs: number;
  retryOn: string[];
  statusCodes: number[];
  backoff: { baseMs: number; maxMs: number };
  budget: { percent: number; minRetriesPerSecond: number };
  nonIdempotent: boolean;
}

/**
 * What a rule gets when neither it nor the Mesh says: retries only of a try that never
 * reached the upstream (connect failure), so a retry never repeats work, and no per-try
 * timeout (0: each try may use what is left of the route timeout). Timeouts and 5xx are
 * retried only where a route (or the Mesh) asks for it; see docs/routing.md#retries.
 */
export const BUILTIN_RETRIES: CompiledRetries = {
  attempts: 2,
  perTryTimeoutMs: 0,
  retryOn: ['connect-failure'],
  statusCodes: [],
  backoff: { baseMs: 25, maxMs: 250 },
  budget: { percent: 20, minRetriesPerSecond: 10 },
  nonIdempotent: false,
};

export const BUILTIN_TIMEOUT_MS = 15_000;

export { duration };
