// Timeout arithmetic: a route's timeout is one deadline for the whole request, retries and
// backoff included (Envoy), capped by the caller's own deadline when it sends one, and each
// try is also bounded by the per-try timeout. All times in ms on one clock; pure.

/**
 * The absolute deadline of a request started at `startMs` with an overall timeout; a
 * caller's own shorter timeout (a gRPC call's `grpc-timeout`) brings it forward, never back.
 */
export function deadlineAt(startMs: number, timeoutMs: number, callerTimeoutMs: number | null = null): number {
  return startMs + (callerTimeoutMs === null ? timeoutMs : Math.min(timeoutMs, callerTimeoutMs));
}

/** Time left before the deadline, never negative. */
export function remainingMs(deadline: number, now: number): number {
  return Math.max(0, deadline - now);
}

/**
 * How long the next try may take: the per-try timeout, cut short by the deadline. 0 means
 * no time is left (do not start the try). A per-try timeout ≤ 0 means none: the deadline.
 */
export function tryTimeoutMs(deadline: number, perTryTimeoutMs: number, now: number): number {
  const left = remainingMs(deadline, now);
  return perTryTimeoutMs > 0 ? Math.min(perTryTimeoutMs, left) : left;
}

/** Whether a try can still start after waiting `delayMs` (some time must remain). */
export function fitsBeforeDeadline(deadline: number, now: number, delayMs: number): boolean {
  return remainingMs(deadline, now + delayMs) > 0;
}
