// Outbound: which mesh service the app is calling. The authority (absolute-form target of an
// HTTP_PROXY request, else the Host header) names `service` in this workload's namespace or
// `service.namespace`; a port is ignored. Unknown names are refused (registry-only, like
// Istio's outboundTrafficPolicy REGISTRY_ONLY): the sidecar forwards only to services the
// snapshot declares, never to arbitrary hosts.
import type { SnapshotRuntime } from '../runtime/snapshot-runtime.ts';

/** `host[:port]` lower-cased, port and a trailing dot removed. */
export function hostOnly(authority: string): string {
  let host = authority.toLowerCase();
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const colon = host.indexOf(':');
  if (colon >= 0) host = host.slice(0, colon);
  return host.endsWith('.') ? host.slice(0, -1) : host;
}

/** The service id (`namespace/name`) a host names, if the snapshot has that service. */
export function destinationService(runtime: SnapshotRuntime, host: string, namespace: string): string | undefined {
  const dot = host.indexOf('.');
  // `name`, or `name.namespace` (a longer `name.namespace.svc…` is read as the same)
  const id = dot < 0 ? `${namespace}/${host}` : `${host.slice(dot + 1).split('.')[0]}/${host.slice(0, dot)}`;
  return runtime.services.has(id) ? id : undefined;
}
