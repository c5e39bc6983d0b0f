// Retry budget (Envoy retry_budget, Linkerd retry budgets): retries may add at most
// `percent` of the load already in flight, plus a small floor of `minRetriesPerSecond` so
// a quiet service can still retry. Without it, retries multiply an outage: every failing
// request becomes 1 + attempts requests just when the service can least take them.
// One budget per destination service, per proxy.

export class RetryBudget {
  readonly #percent: number;
  readonly #floorPerSecond: number;
  readonly #now: () => number;
  #activeRequests = 0;
  #activeRetries = 0;
  #tokens: number;
  #refilledAt: number;

  constructor(budget: { percent: number; minRetriesPerSecond: number }, now: () => number) {
    this.#percent = budget.percent;
    this.#floorPerSecond = Math.max(0, budget.minRetriesPerSecond);
    this.#now = now;
    this.#tokens = this.#floorPerSecond;
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
   * requests, or else when the per-second floor has a token left. Each true must be
   * matched by retryFinished() when that retry ends.
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

  // The floor is a token bucket holding at most one second's worth of retries.
  #refill(): void {
    const now = this.#now();
    const elapsed = Math.max(0, now - this.#refilledAt);
    this.#refilledAt = Math.max(this.#refilledAt, now);
    this.#tokens = Math.min(this.#floorPerSecond, this.#tokens + (elapsed / 1000) * this.#floorPerSecond);
  }
}
