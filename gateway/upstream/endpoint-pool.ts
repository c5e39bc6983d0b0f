// Per isolate, per service and subset: the picker (its state, e.g. round-robin position, must
// outlive one request), in-flight counts for least-request, and passive health (outlier
// ejection). Rebuilt when the snapshot or the registered-endpoints version changes.
import { OutlierDetector } from '../../core/lb/outlier-detector.ts';
import { createPicker } from '../../core/lb/picker.ts';
import type { EndpointPicker, LbEndpoint } from '../../core/lb/picker.ts';
import type { EndpointsDocument } from '../../core/endpoints/endpoints-document.ts';
import { endpointsFor, registeredEndpoint } from '../../core/lb/select-backend.ts';
import type { CompiledService } from '../../core/policy/service/compile.ts';

export interface EndpointPool {
  endpoints: LbEndpoint[];
  picker: EndpointPicker;
  active: Map<string, number>;
  /** Passive health; absent when the service sets no outlierDetection. */
  outliers: OutlierDetector | undefined;
}

const pools = new Map<string, EndpointPool>();
let poolsVersion = '';

export function endpointPool(snapshotVersion: string, service: CompiledService, subset: string | null, registered: EndpointsDocument | undefined): EndpointPool {
  const version = `${snapshotVersion}/${registered?.version ?? ''}`;
  if (version !== poolsVersion) {
    pools.clear();
    poolsVersion = version;
  }
  const key = `${service.id}/${subset ?? ''}`;
  let pool = pools.get(key);
  if (!pool) {
    pool = {
      // Static endpoints of the Service plus the instances its sidecars registered.
      endpoints: endpointsFor(service, subset, (registered?.endpoints[service.id] ?? []).map(registeredEndpoint)),
      picker: createPicker(service.loadBalancer.algorithm, Math.random),
      active: new Map(),
      outliers: service.outlierDetection ? new OutlierDetector(service.outlierDetection, Date.now) : undefined,
    };
    pools.set(key, pool);
  }
  return pool;
}

