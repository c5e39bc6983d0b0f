// From a matched route rule to the endpoints to balance over: pick the rule's backend by
// weight (canary splits), then gather that service's endpoints, static and registered,
// restricted to the backend's subset.
import type { CompiledBackend, CompiledRule } from '../policy/route/compile.ts';
import type { CompiledService } from '../policy/service/compile.ts';
import type { OutlierDetector } from './outlier-detector.ts';
import type { EndpointPicker, LbEndpoint, PickContext } from './picker.ts';
import { pickWeighted } from './weighted.ts';

/** The backend for one request, by weight; undefined for a redirect-only rule. */
export function selectBackend(rule: CompiledRule, random: () => number): CompiledBackend | undefined {
  return pickWeighted(rule.backends, random);
}

/** True when an endpoint's labels include every label of the subset. */
export function endpointInSubset(endpointLabels: Record<string, string>, subsetLabels: Record<string, string>): boolean {
  return Object.entries(subsetLabels).every(([k, v]) => endpointLabels[k] === v);
}

/** The id of a static endpoint: `address:port`, with brackets around an IPv6 address. */
export function staticEndpointId(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** A sidecar-registered instance (endpoints document) as an LbEndpoint; weight 1. */
export function registeredEndpoint(instance: { instanceId: string; address: string; port: number; labels: Record<string, string> }): LbEndpoint {
  return { id: instance.instanceId, address: instance.address, port: instance.port, weight: 1, labels: instance.labels };
}

/**
 * The service's static endpoints then the registered ones, in the subset (all of them when
 * `subset` is null, none when the service has no such subset). A registered instance at
 * the address and port of a static endpoint is the same endpoint: the static entry (its
 * weight is written in policy) is kept.
 */
export function endpointsFor(service: CompiledService, subset: string | null, registered: readonly LbEndpoint[]): LbEndpoint[] {
  let labels: Record<string, string> = {};
  if (subset !== null) {
    const found = service.subsets.find((s) => s.name === subset);
    if (!found) return [];
    labels = found.labels;
  }
  const out: LbEndpoint[] = [];
  const addresses = new Set<string>();
  const ids = new Set<string>();
  const add = (e: LbEndpoint) => {
    const at = staticEndpointId(e.address, e.port);
    if (addresses.has(at) || ids.has(e.id)) return;
    addresses.add(at);
    ids.add(e.id);
    if (endpointInSubset(e.labels, labels)) out.push(e);
  };
  for (const e of service.endpoints) add({ id: staticEndpointId(e.address, e.port), address: e.address, port: e.port, weight: e.weight, labels: e.labels });
  for (const e of registered) add(e);
  return out;
}

/** The endpoints a request may go to now: all of a pool's, minus those ejected as outliers. */
export function healthyEndpoints(pool: { readonly endpoints: LbEndpoint[]; readonly outliers: OutlierDetector | undefined }): LbEndpoint[] {
  return pool.outliers ? pool.outliers.healthy(pool.endpoints) : pool.endpoints;
}

/** Times a retry asks the picker again for an endpoint it has not tried, before it narrows the set. */
const REPICKS = 3;

/**
 * The endpoint for one try of a request. A retry goes to an endpoint the request has not
 * tried yet whenever a healthy one is left: Envoy's previous_hosts retry predicate, which
 * Istio sets on every route. The picker is asked again a few times, so its own state
 * (round-robin turn, least-request draw) decides as usual, then over the untried endpoints
 * only, so a fresh one is certain when there is one. As in Istio, a request with a
 * consistent-hash key is the exception: its retries stay on the key's endpoint (affinity
 * is why the hash was asked for; outlier ejection moves the key when that endpoint keeps
 * failing). With every healthy endpoint tried, any may be picked again.
 */
export function pickEndpoint(
  pool: { readonly picker: EndpointPicker; readonly endpoints: LbEndpoint[]; readonly outliers: OutlierDetector | undefined },
  ctx: PickContext,
  tried: readonly string[],
): LbEndpoint | undefined {
  const healthy = healthyEndpoints(pool);
  const first = pool.picker.pick(healthy, ctx);
  if (first === undefined || ctx.hashKey !== undefined || !tried.includes(first.id)) return first;
  for (let i = 0; i < REPICKS; i++) {
    const again = pool.picker.pick(healthy, ctx);
    if (again !== undefined && !tried.includes(again.id)) return again;
  }
  const untried = healthy.filter((e) => !tried.includes(e.id));
  return (untried.length > 0 ? pool.picker.pick(untried, ctx) : undefined) ?? first;
}
