// Circuit breaking (Envoy's per-cluster thresholds): a proxy lets at most `maxConnections`
// requests to one service hold a connection at once, and at most `maxPendingRequests` more
// wait for one; past that a request is refused at once (503) instead of queueing without
// bound behind a service that cannot keep up. With one request per connection (no
// pipelining), requests in flight = connections in use + requests waiting, so counting
// requests is enough. Pure: the adapter calls acquire/release around each upstream request
// and sizes its connection pools from the same limits.
import type { CompiledService } from '../policy/service/compile.ts';

export type ConnectionLimits = CompiledService['connectionLimits'];

export type BreakerLimit = 'maxConnections' | 'maxPendingRequests';

export type BreakerDecision =
  /** `queued`: every connection is busy, the request waits for one. */
  | { admitted: true; queued: boolean }
  /** Which threshold refused it: `maxConnections` when no request may wait at all. */
  | { admitted: false; limit: BreakerLimit };

export class CircuitBreaker {
  readonly #limits: ConnectionLimits;
  #inFlight = 0;

  constructor(limits: ConnectionLimits) {
    this.#limits = limits;
  }

  /** Asks to send one request; each admitted request must be matched by release(). */
  acquire(): BreakerDecision {
    const { maxConnections, maxPendingRequests } = this.#limits;
    if (this.#inFlight < maxConnections) {
      this.#inFlight++;
      return { admitted: true, queued: false };
    }
    if (this.#inFlight - maxConnections < maxPendingRequests) {
      this.#inFlight++;
      return { admitted: true, queued: true };
    }
    return { admitted: false, limit: maxPendingRequests === 0 ? 'maxConnections' : 'maxPendingRequests' };
  }

  /** An admitted request ended, however it ended. */
  release(): void {
    this.#inFlight = Math.max(0, this.#inFlight - 1);
  }

  /** Requests holding a connection now. */
  get active(): number {
    return Math.min(this.#inFlight, this.#limits.maxConnections);
  }

  /** Requests waiting for a connection now. */
  get pending(): number {
    return Math.max(0, this.#inFlight - this.#limits.maxConnections);
  }
}

/** Requests a connection serves before it is replaced; undefined = no limit (0 in policy). */
export function requestsPerConnection(limits: ConnectionLimits): number | undefined {
  return limits.maxRequestsPerConnection > 0 ? limits.maxRequestsPerConnection : undefined;
}
