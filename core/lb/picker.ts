// The load-balancer picker: one narrow interface, four algorithms behind it (round robin,
// least request, random, consistent hash), all run through picker-conformance.ts. A picker
// may keep state (round-robin position, hash ring), so make one per endpoint set, e.g. per
// service and subset; the endpoints passed in are the healthy ones (outlier-detector.ts).
import type { CompiledService } from '../policy/service/compile.ts';
import { ConsistentHashPicker } from './consistent-hash.ts';
import { LeastRequestPicker } from './least-request.ts';
import { RandomPicker } from './random-picker.ts';
import { RoundRobinPicker } from './round-robin.ts';

export interface LbEndpoint {
  /** Stable identity: instance id of a registered endpoint, `address:port` of a static one. */
  id: string;
  address: string;
  port: number;
  /** Relative weight; 0 = never picked. */
  weight: number;
  labels: Record<string, string>;
}

export interface PickContext {
  /** Consistent hash input (header value, cookie, client IP); other algorithms ignore it. */
  hashKey?: string;
  /** In-flight requests to an endpoint, for least-request. */
  activeRequests?: (id: string) => number;
}

export interface EndpointPicker {
  /** An endpoint of `endpoints` with weight > 0, or undefined when there is none. */
  pick(endpoints: readonly LbEndpoint[], ctx: PickContext): LbEndpoint | undefined;
}

export type LbAlgorithm = CompiledService['loadBalancer']['algorithm'];

export function createPicker(algorithm: LbAlgorithm, random: () => number): EndpointPicker {
  switch (algorithm) {
    case 'round-robin':
      return new RoundRobinPicker();
    case 'least-request':
      return new LeastRequestPicker(random);
    case 'random':
      return new RandomPicker(random);
    case 'consistent-hash':
      return new ConsistentHashPicker(random);
  }
}
