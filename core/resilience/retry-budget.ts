// Retry budget (Envoy retry_budget, Linkerd retry budgets): retries may add at most
// `percent` of the load already in flight, plus a floor of `minRetriesPerSecond` so a quiet
// service can still retry. Without it, retries multiply an outage: every failing request
// becomes 1 + attempts requests just when the service can least take them.
// One budget per destination service, per proxy.
//
// The floor is counted over FLOOR_WINDOW_MS, as Linkerd counts it over its budget's ttl (10 s
// by default): a token bucket refilled at minRetriesPerSecond and holding ten seconds' worth.
// With a one-second bucket a burst of failures at a low average rate (one client calling in a
// loop: few requests in flight, so the percent never admits a retry) would have its retries
// refused after the first second's worth, though the service sees a fraction of its load.

/** The window the floor counts over: the bucket holds minRetriesPerSecond × this. */
export const FLOOR_WINDOW_MS = 10_000;

export class RetryBudget {
  readonly #percent: number;
  readonly #floorPerSecond: number;
  readonly #floorCapacity: number;
  readonly #now: () => number;
  #activeRequests = 0;
  #activeRetries = 0;
  #tokens: number;
  #refilledAt: number;

  constructor(budget: { percent: number; minRetriesPerSecond: number }, now: () => number) {
    this.#percent = budget.percent;
    this.#floorPerSecond = Math.max(0, budget.minRetriesPerSecond);
    this.#floorCapacity = (this.#floorPerSecond * FLOOR_WINDOW_MS) / 1000;
    this.#now = now;
    this.#tokens = this.#floorCapacity;
    this.#refilledAt = now();
  }

  /** A request (not a retry) to the service started. */
  requestStarted(): void {
    this.#activeRequests++;
  }

  /** A request started with requestStarted() finished, however it ended. */
  requestFinished(): void {
    this.#activeRequests = Math.max(0, this.#activeRequests - 1);
    // A request has at most one retry in flight, so there are never more active retries
    // than active requests: a missed retryFinished() cannot starve the budget for good.
    this.#activeRetries = Math.min(this.#activeRetries, this.#activeRequests);
  }

  /**
   * Asks to send one retry. True when active retries stay within `percent` of active
   * requests, or else when the floor has a token left. Each true must be matched by
   * retryFinished() when that retry ends.
   */
  tryAcquireRetry(): boolean {
    if (((this.#activeRetries + 1) * 100) <= this.#percent * this.#activeRequests) {
      this.#activeRetries++;
      return true;
    }
    this.#refill();
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      this.#activeRetries++;
      return true;
    }
    return false;
  }

  /** A retry granted by tryAcquireRetry() ended (call it before asking for the next). */
  retryFinished(): void {
    this.#activeRetries = Math.max(0, this.#activeRetries - 1);
  }

  /** What this budget allows: `percent` of active requests, and at least `minRetriesPerSecond`. */
  get limits(): { percent: number; minRetriesPerSecond: number } {
    return { percent: this.#percent, minRetriesPerSecond: this.#floorPerSecond };
  }

  get activeRequests(): number {
    return this.#activeRequests;
  }

  get activeRetries(): number {
    return this.#activeRetries;
  }

  // The floor's token bucket: minRetriesPerSecond a second, FLOOR_WINDOW_MS worth at most.
  #refill(): void {
    const now = this.#now();
    const elapsed = Math.max(0, now - this.#refilledAt);
    this.#refilledAt = Math.max(this.#refilledAt, now);
    this.#tokens = Math.min(this.#floorCapacity, this.#tokens + (elapsed / 1000) * this.#floorPerSecond);
  }
}
