// What one sidecar listener keeps across requests for core's stages: load-balancing state,
// keep-alive connection pools, counters, the JWKS cache, its open WebSockets, and the
// observer the stages report to (mapped onto the sidecar's ProxyObserver: metrics and the
// access log).
import { JwksCache } from '../../core/authn/jwks-cache.ts';
import { EndpointPools } from '../../core/lb/endpoint-pools.ts';
import type { PipelineObserver } from '../../core/pipeline/pieces.ts';
import { MemoryCounterStore } from '../../core/ratelimit/memory-counter-store.ts';
import type { CounterStore } from '../../core/ratelimit/counter-store.ts';
import type { Direction, ProxyObserver, SidecarView } from '../types.ts';
import { UpstreamPools } from './upstream-pools.ts';
import { OpenTunnels } from './websocket-tunnel.ts';

export interface MeshPlane {
  readonly direction: Direction;
  readonly view: SidecarView;
  readonly observer: ProxyObserver;
  readonly pools: EndpointPools;
  readonly upstreams: UpstreamPools;
  /** WebSockets open through this listener (closed with it). */
  readonly tunnels: OpenTunnels;
  readonly counters: { local: CounterStore; global: CounterStore };
  readonly jwks: JwksCache;
  readonly pipelineObserver: PipelineObserver;
}

function pipelineObserver(direction: Direction, observer: ProxyObserver): PipelineObserver {
  return {
    retry: (_c, service) => observer.retry(direction, service),
    retryRefused: (_c, service, reason) => observer.retryRefused?.(direction, service, reason),
    upstreamError: (_c, service, kind, wrongPeer) => {
      observer.upstreamError(direction, service, kind);
      if (wrongPeer) observer.tlsRefused?.(direction, 'wrong_server_id');
    },
    ejection: (service, endpoint) => observer.ejection(service, endpoint),
    circuitOpen: (service, limit) => observer.circuitOpen(service, limit),
    rateLimited: (_c, policy) => observer.rateLimited(direction, policy),
    rateLimitStoreFailed: (policy, limit, error) =>
      process.emitWarning(`rate-limit store failed for ${policy} ${limit}; the limit was skipped: ${String(error)}`, { code: 'WEFT_RATE_LIMIT_STORE' }),
  };
}

export function createMeshPlane(direction: Direction, view: SidecarView, observer: ProxyObserver): MeshPlane {
  const upstreams = new UpstreamPools(() => view.tls());
  const pools = new EndpointPools();
  pools.onRebuild = () => upstreams.retireUnused();
  const local = new MemoryCounterStore();
  return {
    direction,
    view,
    observer,
    pools,
    upstreams,
    tunnels: new OpenTunnels(direction, observer),
    // Without a mesh-wide counter (a fixed view in tests), `global` limits count per proxy.
    counters: { local, global: view.globalCounters ?? local },
    jwks: new JwksCache({ fetch: (input, init) => fetch(input, init) }),
    pipelineObserver: pipelineObserver(direction, observer),
  };
}
