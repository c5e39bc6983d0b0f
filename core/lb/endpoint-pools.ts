// Per destination service (and subset): the load-balancing state that must outlive a request
// (picker position or ring, in-flight counts for least-request, outlier ejections), rebuilt
// only when the snapshot or the registered-endpoints version changes; and per service the
// circuit breaker and the retry budget, which count requests in flight and so live across
// versions. One per gateway isolate, one per sidecar listener.
import type { EndpointsDocument } from '../endpoints/endpoints-document.ts';
import type { CompiledRetries } from '../policy/shared/resilience.ts';
import type { CompiledService } from '../policy/service/compile.ts';
import { RetryBudget } from '../resilience/retry-budget.ts';
import { CircuitBreaker } from './circuit-breaker.ts';
import { OutlierDetector } from './outlier-detector.ts';
import { createPicker } from './picker.ts';
import type { EndpointPicker, LbEndpoint } from './picker.ts';
import { endpointsFor, registeredEndpoint } from './select-backend.ts';

export interface EndpointPool {
  service: CompiledService;
  endpoints: LbEndpoint[];
  picker: EndpointPicker;
  active: Map<string, number>;
  activeRequests: (id: string) => number;
  outliers: OutlierDetector | undefined;
  /** Ids of the endpoints that are registered instances (sidecar inbound ports, reached over mTLS). */
  registered: ReadonlySet<string>;
}

/** Registered endpoints are sidecars (a static endpoint at a registered address:port is the same sidecar). */
function registeredIds(endpoints: readonly LbEndpoint[], registered: readonly { address: string; port: number }[]): Set<string> {
  if (registered.length === 0) return new Set();
  const at = new Set(registered.map((r) => `${r.address}|${r.port}`));
  return new Set(endpoints.filter((e) => at.has(`${e.address}|${e.port}`)).map((e) => e.id));
}

export class EndpointPools {
  #pools = new Map<string, EndpointPool>();
  #version = '';
  readonly #breakers = new Map<string, { limits: string; breaker: CircuitBreaker }>();
  readonly #budgets = new Map<string, { key: string; budget: RetryBudget }>();
  readonly #now: () => number;
  readonly #random: () => number;
  /** Called when the endpoint sets were rebuilt (the connection pools may retire old origins). */
  onRebuild: () => void = () => undefined;

  constructor(clock: { now: () => number; random: () => number } = { now: Date.now, random: Math.random }) {
    this.#now = clock.now;
    this.#random = clock.random;
  }

  pool(snapshotVersion: string, service: CompiledService, subset: string | null, registered: EndpointsDocument | undefined): EndpointPool {
    const version = `${snapshotVersion}/${registered?.version ?? ''}`;
    if (version !== this.#version) {
      if (this.#version !== '') this.onRebuild();
      this.#pools = new Map();
      this.#version = version;
    }
    const key = subset === null ? service.id : `${service.id}/${subset}`;
    let pool = this.#pools.get(key);
    if (!pool) {
      const active = new Map<string, number>();
      const instances = registered?.endpoints[service.id] ?? [];
      const endpoints = endpointsFor(service, subset, instances.map(registeredEndpoint));
      pool = {
        service,
        endpoints,
        registered: registeredIds(endpoints, instances),
        picker: createPicker(service.loadBalancer.algorithm, this.#random),
        active,
        activeRequests: (id) => active.get(id) ?? 0,
        outliers: service.outlierDetection ? new OutlierDetector(service.outlierDetection, this.#now) : undefined,
      };
      this.#pools.set(key, pool);
    }
    return pool;
  }

  breaker(service: CompiledService): CircuitBreaker {
    const limits = `${service.connectionLimits.maxConnections}/${service.connectionLimits.maxPendingRequests}`;
    let entry = this.#breakers.get(service.id);
    if (!entry || entry.limits !== limits) this.#breakers.set(service.id, (entry = { limits, breaker: new CircuitBreaker(service.connectionLimits) }));
    return entry.breaker;
  }

  budget(serviceId: string, retries: CompiledRetries): RetryBudget {
    const key = `${retries.budget.percent}/${retries.budget.minRetriesPerSecond}`;
    let entry = this.#budgets.get(serviceId);
    if (!entry || entry.key !== key) this.#budgets.set(serviceId, (entry = { key, budget: new RetryBudget(retries.budget, this.#now) }));
    return entry.budget;
  }

  /** The retry budget in force per service this proxy has sent retriable requests to: what metrics show. */
  retryBudgets(): { service: string; percent: number; minRetriesPerSecond: number }[] {
    return [...this.#budgets].map(([service, { budget }]) => ({ service, ...budget.limits }));
  }
}
