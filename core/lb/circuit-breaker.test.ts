import { describe, expect, it } from 'vitest';
import { CircuitBreaker, requestsPerConnection } from './circuit-breaker.ts';

describe('CircuitBreaker', () => {
  it('admits up to maxConnections at once, then queues up to maxPendingRequests, then refuses', () => {
    const b = new CircuitBreaker({ maxConnections: 2, maxPendingRequests: 1, maxRequestsPerConnection: 0 });
    expect(b.acquire()).toEqual({ admitted: true, queued: false });
    expect(b.acquire()).toEqual({ admitted: true, queued: false });
    expect(b.acquire()).toEqual({ admitted: true, queued: true });
    expect(b.acquire()).toEqual({ admitted: false, limit: 'maxPendingRequests' });
    expect(b.active).toBe(2);
    expect(b.pending).toBe(1);
  });

  it('names maxConnections when no request may wait', () => {
    const b = new CircuitBreaker({ maxConnections: 1, maxPendingRequests: 0, maxRequestsPerConnection: 0 });
    expect(b.acquire().admitted).toBe(true);
    expect(b.acquire()).toEqual({ admitted: false, limit: 'maxConnections' });
  });

  it('closes again when load drops', () => {
    const b = new CircuitBreaker({ maxConnections: 1, maxPendingRequests: 0, maxRequestsPerConnection: 0 });
    b.acquire();
    expect(b.acquire().admitted).toBe(false);
    b.release();
    expect(b.acquire()).toEqual({ admitted: true, queued: false });
  });

  it('never counts below zero on an extra release', () => {
    const b = new CircuitBreaker({ maxConnections: 1, maxPendingRequests: 0, maxRequestsPerConnection: 0 });
    b.release();
    b.release();
    expect(b.acquire().admitted).toBe(true);
    expect(b.acquire().admitted).toBe(false);
  });

  it('maps maxRequestsPerConnection 0 to no limit', () => {
    expect(requestsPerConnection({ maxConnections: 1, maxPendingRequests: 0, maxRequestsPerConnection: 0 })).toBeUndefined();
    expect(requestsPerConnection({ maxConnections: 1, maxPendingRequests: 0, maxRequestsPerConnection: 5 })).toBe(5);
  });
});
