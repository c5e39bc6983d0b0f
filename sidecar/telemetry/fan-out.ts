// One ProxyObserver that hands every event to several (metrics, access log, tracing); one
// observer failing never stops the others or the request. Plain loops: `request` runs once per
// proxied request, so no closure per call.
import type { AccessLogEntry, ProxyObserver } from '../types.ts';

/** An observer of finished requests only (the access log, tracing); the other events are metrics' business. */
export function requestObserver(onRequest: (entry: AccessLogEntry) => void): ProxyObserver {
  return { request: onRequest, retry() {}, upstreamError() {}, ejection() {}, rateLimited() {}, circuitOpen() {} };
}

export function fanOut(observers: ProxyObserver[]): ProxyObserver {
  const all = [...observers];
  return {
    samplesNewTraces: all.some((o) => o.samplesNewTraces === true),
    request(entry) {
      for (const o of all)
        try {
          o.request(entry);
        } catch {
          // observers must not throw; if one does, the rest still run
        }
    },
    retry(direction, service) {
      for (const o of all)
        try {
          o.retry(direction, service);
        } catch {
          // as above
        }
    },
    retryRefused(direction, service, reason) {
      for (const o of all)
        try {
          o.retryRefused?.(direction, service, reason);
        } catch {
          // as above
        }
    },
    upstreamError(direction, service, kind) {
      for (const o of all)
        try {
          o.upstreamError(direction, service, kind);
        } catch {
          // as above
        }
    },
    ejection(service, endpoint) {
      for (const o of all)
        try {
          o.ejection(service, endpoint);
        } catch {
          // as above
        }
    },
    rateLimited(direction, policy) {
      for (const o of all)
        try {
          o.rateLimited(direction, policy);
        } catch {
          // as above
        }
    },
    circuitOpen(service, limit) {
      for (const o of all)
        try {
          o.circuitOpen(service, limit);
        } catch {
          // as above
        }
    },
    transport(direction, transport) {
      for (const o of all)
        try {
          o.transport?.(direction, transport);
        } catch {
          // as above
        }
    },
    webSocket(direction, change) {
      for (const o of all)
        try {
          o.webSocket?.(direction, change);
        } catch {
          // as above
        }
    },
    tlsRefused(direction, reason) {
      for (const o of all)
        try {
          o.tlsRefused?.(direction, reason);
        } catch {
          // as above
        }
    },
  };
}
