// Per isolate, per service and subset: the picker (its state, e.g. round-robin position, must
// outlive one request), in-flight counts for least-request, and passive health (outlier
// ejection). Rebuilt when the snapshot version changes.
import { createPicker } from '../../core/lb/picker.ts';
import type { EndpointPicker, LbEndpoint } from '../../core/lb/picker.ts';
import type { CompiledService } from '../../core/policy/service/compile.ts';
import { endpointInSubset } from '../../core/policy/service/compile.ts';

export interface EndpointPool {
  endpoints: LbEndpoint[];
  picker: EndpointPicker;
  active: Map<string, number>;
}

const pools = new Map<string, EndpointPool>();
let poolsVersion = '';

/** The service's static endpoints in `subset` (the gateway proxies to edge backends). */
export function endpointsOf(service: CompiledService, subset: string | null): LbEndpoint[] {
  const labels = subset ? service.subsets.find((s) => s.name === subset)?.labels : undefined;
  return service.endpoints
    .filter((e) => !labels || endpointInSubset(e.labels, labels))
    .map((e) => ({ id: `${e.address}:${e.port}`, address: e.address, port: e.port, weight: e.weight, labels: e.labels }));
}

export function endpointPool(version: string, service: CompiledService, subset: string | null): EndpointPool {
  if (version !== poolsVersion) {
    pools.clear();
    poolsVersion = version;
  }
  const key = `${service.id}/${subset ?? ''}`;
  let pool = pools.get(key);
  if (!pool) {
    pool = { endpoints: endpointsOf(service, subset), picker: createPicker(service.loadBalancer.algorithm, Math.random), active: new Map() };
    pools.set(key, pool);
  }
  return pool;
}
