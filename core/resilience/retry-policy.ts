// Whether a failed try may be retried (Envoy's retry-on conditions) and how long to wait
// first (exponential backoff with full jitter). Budget and deadline are separate stages
// (retry-budget.ts, deadline.ts); retry-plan.ts composes the four.
import { GRPC_STATUS } from '../grpc/status.ts';
import type { CompiledRetries } from '../policy/shared/resilience.ts';

/** How a try failed without an HTTP answer. `timeout` is the per-try timeout. */
export type TryError = 'reset' | 'connect-failure' | 'timeout';

export interface TryOutcome {
  status?: number;
  /** The `grpc-status` of a trailers-only response head (the call ended before any message). */
  grpcStatus?: number;
  error?: TryError;
}

/** The gRPC status each gRPC retryOn condition stands for (Envoy's x-envoy-retry-grpc-on names). */
export const GRPC_RETRY_ON: Readonly<Record<string, number>> = {
  cancelled: GRPC_STATUS.CANCELLED,
  'deadline-exceeded': GRPC_STATUS.DEADLINE_EXCEEDED,
  internal: GRPC_STATUS.INTERNAL,
  'resource-exhausted': GRPC_STATUS.RESOURCE_EXHAUSTED,
  unavailable: GRPC_STATUS.UNAVAILABLE,
};

function matchesGrpcRetryOn(on: readonly string[], grpcStatus: number | undefined): boolean {
  return grpcStatus !== undefined && on.some((c) => GRPC_RETRY_ON[c] === grpcStatus);
}

/** RFC 9110 §9.2.2: methods whose repetition has the effect of one request. */
export const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

const GATEWAY_ERRORS = new Set([502, 503, 504]);

// Which retryOn conditions cover a try that got no answer. A gateway reports a reset or a
// timeout as 502/504 and a connect failure as 503, so `5xx` and `gateway-error` cover all
// three, as in Envoy; `reset` covers any lost answer (reset or read timeout).
const ERROR_CONDITIONS: Record<TryError, readonly string[]> = {
  'connect-failure': ['connect-failure', '5xx', 'gateway-error'],
  reset: ['reset', '5xx', 'gateway-error'],
  timeout: ['reset', '5xx', 'gateway-error'],
};

/** True when a retryOn condition of `retries` covers the outcome (attempts and method aside). */
export function matchesRetryOn(retries: Pick<CompiledRetries, 'retryOn' | 'statusCodes'>, outcome: TryOutcome): boolean {
  const on = retries.retryOn;
  if (outcome.error !== undefined) return ERROR_CONDITIONS[outcome.error].some((c) => on.includes(c));
  if (matchesGrpcRetryOn(on, outcome.grpcStatus)) return true;
  const s = outcome.status;
  if (s === undefined) return false;
  return (
    (on.includes('5xx') && s >= 500 && s <= 599) ||
    (on.includes('gateway-error') && GATEWAY_ERRORS.has(s)) ||
    (on.includes('retriable-status-codes') && retries.statusCodes.includes(s))
  );
}

/**
 * Whether retry number `attempt` (1 = the first retry) may be sent. Only idempotent methods
 * are retried unless `nonIdempotent`; a connect failure is retried for any method, since
 * the request never left. A gRPC call (`grpc`: always a POST) is also retried on a gRPC
 * status condition, as in Envoy: a trailers-only status came before any response message,
 * and the condition is the operator's statement that the service may see the call twice.
 */
export function retryDecision(input: { method: string; attempt: number; retries: CompiledRetries; outcome: TryOutcome; grpc?: boolean }): boolean {
  const { method, attempt, retries, outcome } = input;
  if (!Number.isInteger(attempt) || attempt < 1 || attempt > retries.attempts) return false;
  const safe =
    retries.nonIdempotent ||
    IDEMPOTENT_METHODS.has(method.toUpperCase()) ||
    outcome.error === 'connect-failure' ||
    (input.grpc === true && matchesGrpcRetryOn(retries.retryOn, outcome.grpcStatus));
  return safe && matchesRetryOn(retries, outcome);
}

/**
 * Wait before retry `attempt`: uniform in [0, min(maxMs, baseMs × 2^(attempt−1))), whole
 * ms ("full jitter": retries of many clients spread out instead of arriving in waves).
 */
export function backoffMs(attempt: number, backoff: { baseMs: number; maxMs: number }, random: () => number): number {
  const exponent = Math.min(Math.max(attempt, 1) - 1, 52);
  const ceiling = Math.max(0, Math.min(backoff.maxMs, backoff.baseMs * 2 ** exponent));
  return Math.min(Math.floor(random() * ceiling), Math.max(0, Math.ceil(ceiling) - 1));
}
