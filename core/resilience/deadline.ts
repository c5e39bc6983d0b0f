// Timeout arithmetic: a route's timeout is one deadline for the whole request, retries and
// backoff included (Envoy), capped by the caller's own deadline when it sends one, and each
// try is also bounded by the per-try timeout. All times in ms on one clock; pure.
//
// A configured timeout of 0 (`0s` in policy: the route's `timeout`, `retries.perTryTimeout`)
// means none, as in the Gateway API. This module is where that is read: a deadline with no
// timeout is Infinity, and a limit handed to an adapter's timer is 0 for "none"
// (timerMs), the convention of TryRequest.timeoutMs.

/** Whether a configured timeout limits anything: 0 means none. */
export function isLimit(timeoutMs: number): boolean {
  return timeoutMs > 0;
}

/**
 * The absolute deadline of a request started at `startMs` with an overall timeout (0: none);
 * a caller's own shorter timeout (a gRPC call's `grpc-timeout`) brings it forward, never
 * back. Infinity when nothing limits the request.
 */
export function deadlineAt(startMs: number, timeoutMs: number, callerTimeoutMs: number | null = null): number {
  const own = isLimit(timeoutMs) ? timeoutMs : Infinity;
  return startMs + (callerTimeoutMs === null ? own : Math.min(own, callerTimeoutMs));
}

/** Time left before the deadline, never negative; Infinity with no deadline. */
export function remainingMs(deadline: number, now: number): number {
  return Math.max(0, deadline - now);
}

/**
 * How long the next try may take: the per-try timeout (0: none), cut short by the deadline.
 * 0 means no time is left (do not start the try); Infinity that nothing limits it.
 */
export function tryTimeoutMs(deadline: number, perTryTimeoutMs: number, now: number): number {
  const left = remainingMs(deadline, now);
  return isLimit(perTryTimeoutMs) ? Math.min(perTryTimeoutMs, left) : left;
}

/** Whether a try can still start after waiting `delayMs` (some time must remain). */
export function fitsBeforeDeadline(deadline: number, now: number, delayMs: number): boolean {
  return remainingMs(deadline, now + delayMs) > 0;
}

/** A limit as an adapter's timer takes it (TryRequest.timeoutMs): 0 when nothing limits it. */
export function timerMs(limitMs: number): number {
  return Number.isFinite(limitMs) ? limitMs : 0;
}

/**
 * The per-try timeout a rule compiles to: a per-try timeout longer than the overall timeout
 * can never apply, so it is cut to it; with either one 0 (none) the other alone limits.
 */
export function clampPerTryTimeout(perTryTimeoutMs: number, timeoutMs: number): number {
  return isLimit(timeoutMs) && perTryTimeoutMs > timeoutMs ? timeoutMs : perTryTimeoutMs;
}

/** Whether a per-try timeout outlasts the overall timeout (never when either is 0, none). */
export function perTryOutlastsTimeout(perTryTimeoutMs: number, timeoutMs: number): boolean {
  return isLimit(timeoutMs) && isLimit(perTryTimeoutMs) && perTryTimeoutMs > timeoutMs;
}
