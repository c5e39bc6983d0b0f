// One ProxyObserver that hands every event to several (metrics, access log, tracing); one
// observer failing never stops the others or the request.
import type { ProxyObserver } from '../types.ts';

export function fanOut(observers: ProxyObserver[]): ProxyObserver {
  const each = (f: (o: ProxyObserver) => void) => {
    for (const o of observers)
      try {
        f(o);
      } catch {
        // observers must not throw; if one does, the rest still run
      }
  };
  return {
    request: (entry) => each((o) => o.request(entry)),
    retry: (direction, service) => each((o) => o.retry(direction, service)),
    upstreamError: (direction, service, kind) => each((o) => o.upstreamError(direction, service, kind)),
    ejection: (service, endpoint) => each((o) => o.ejection(service, endpoint)),
    rateLimited: (direction, policy) => each((o) => o.rateLimited(direction, policy)),
    circuitOpen: (service, limit) => each((o) => o.circuitOpen(service, limit)),
  };
}
