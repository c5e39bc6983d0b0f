// Where a route applies: its parentRefs. A Gateway parent makes it an edge route on the
// hostnames its listeners and the route share; a Service parent (GAMMA) makes it a mesh
// route for that Service's callers. What Weft cannot keep of a parent (listener ports,
// consumer routes, namespace selectors) becomes a note.
import type { Gateway, Listener, ParentRef } from './gateway-api-schema.ts';
import { GATEWAY_GROUP } from './gateway-api-schema.ts';
import { intersectHostnames, mergeHosts } from './hostnames.ts';
import type { ManifestObject, RouteObject } from './manifests.ts';
import { objectId } from './manifests.ts';
import type { NoteSink } from './notes.ts';

export interface MeshParent {
  name: string;
  port: number | undefined;
  at: (string | number)[];
}

export interface Attachment {
  /** Edge hosts; [] when no Gateway parent attached. */
  edgeHosts: string[];
  meshServices: MeshParent[];
  /** Every attached listener speaks plain HTTP (an `https` scheme redirect there is the HTTP→HTTPS pattern). */
  httpListenersOnly: boolean;
  /** The Gateways (among the inputs) the route attached to, as `namespace/name`, each with the hosts it gave. */
  gateways: { id: string; hosts: string[] }[];
}

const ROUTE_PROTOCOLS = new Set(['HTTP', 'HTTPS']);

export function isCoreService(group: string | undefined, kind: string | undefined): boolean {
  // Istio's Bookinfo samples write `kind: Service` without `group: ""`; read them as meant.
  return kind === 'Service' && (group === undefined || group === '' || group === 'core');
}

function listenerAllows(listener: Listener, gatewayNamespace: string, routeNamespace: string, routeKind: string): string | undefined {
  const kinds = listener.allowedRoutes?.kinds;
  if (kinds && !kinds.some((k) => k.kind === routeKind && (k.group ?? GATEWAY_GROUP) === GATEWAY_GROUP))
    return `listener ${listener.name} allows only ${kinds.map((k) => k.kind).join(', ')}`;
  const from = listener.allowedRoutes?.namespaces?.from ?? 'Same';
  if (from === 'Same' && gatewayNamespace !== routeNamespace) return `listener ${listener.name} allows routes from its own namespace (${gatewayNamespace}) only`;
  if (from === 'None') return `listener ${listener.name} allows no routes`;
  return undefined;
}

function attachToGateway(route: RouteObject, ref: ParentRef, at: (string | number)[], gateways: Map<string, ManifestObject<Gateway>>, sink: NoteSink) {
  const routeHosts = route.value.spec.hostnames ?? [];
  const namespace = ref.namespace ?? route.namespace;
  const gw = gateways.get(objectId(namespace, ref.name));
  if (!gw) {
    sink.note(at, `Gateway ${objectId(namespace, ref.name)} is not among the inputs: hostnames kept as the route writes them (give the Gateway's file to intersect them with its listeners)`);
    return { hosts: intersectHostnames(routeHosts, undefined), protocols: [] as string[], gateway: undefined };
  }
  const listeners = gw.value.spec.listeners.filter((l) => ROUTE_PROTOCOLS.has(l.protocol));
  const selected = listeners.filter((l) => (ref.sectionName === undefined || l.name === ref.sectionName) && (ref.port === undefined || l.port === ref.port));
  const where = [ref.sectionName !== undefined ? `named ${ref.sectionName}` : '', ref.port !== undefined ? `on port ${ref.port}` : ''].filter(Boolean).join(' ');
  if (selected.length === 0) {
    sink.note(at, `Gateway ${objectId(gw.namespace, gw.name)} has no HTTP or HTTPS listener${where ? ` ${where}` : ''}: not attached there`);
    return { hosts: [], protocols: [], gateway: undefined };
  }
  const refusals: string[] = [];
  const allowed = selected.filter((l) => {
    const refusal = listenerAllows(l, gw.namespace, route.namespace, route.value.kind);
    if (refusal) refusals.push(refusal);
    return !refusal;
  });
  if (allowed.length === 0) {
    sink.note(at, `${refusals.join('; ')}: not attached to Gateway ${objectId(gw.namespace, gw.name)}`);
    return { hosts: [], protocols: [], gateway: undefined };
  }
  for (const l of allowed)
    if (l.allowedRoutes?.namespaces?.from === 'Selector')
      sink.note(at, `listener ${l.name} selects route namespaces by label, which import cannot see: taken as allowing ${route.namespace}`);
  const hosts: string[] = [];
  const attached: Listener[] = [];
  for (const l of allowed) {
    const shared = intersectHostnames(routeHosts, l.hostname);
    if (shared.length > 0) attached.push(l);
    hosts.push(...shared);
  }
  if (attached.length === 0) {
    sink.note(at, `no hostname of the route matches a listener hostname of Gateway ${objectId(gw.namespace, gw.name)} (${allowed.map((l) => l.hostname ?? '*').join(', ')}): not attached there`);
    return { hosts: [], protocols: [], gateway: undefined };
  }
  const allPorts = [...new Set(listeners.map((l) => l.port))].sort((a, b) => a - b);
  const ports = [...new Set(attached.map((l) => l.port))].sort((a, b) => a - b);
  if (ports.length < allPorts.length)
    sink.note(
      at,
      `attached to port ${ports.join(', ')} only of Gateway ${objectId(gw.namespace, gw.name)} (its listeners: ${allPorts.join(', ')}): Weft edge hosts apply on every port and scheme the gateway serves`,
    );
  return { hosts, protocols: attached.map((l) => l.protocol), gateway: objectId(gw.namespace, gw.name) };
}

export function attachRoute(route: RouteObject, gateways: Map<string, ManifestObject<Gateway>>, sink: NoteSink): Attachment {
  const hosts: string[] = [];
  const protocols: string[] = [];
  let gatewayParents = 0;
  const meshServices: MeshParent[] = [];
  const attachedGateways: Attachment['gateways'] = [];
  (route.value.spec.parentRefs ?? []).forEach((ref, i) => {
    const at = ['spec', 'parentRefs', i];
    const group = ref.group ?? GATEWAY_GROUP;
    const kind = ref.kind ?? 'Gateway';
    if (isCoreService(ref.group, ref.kind)) {
      const namespace = ref.namespace ?? route.namespace;
      if (namespace !== route.namespace) {
        sink.note(
          at,
          `consumer route (the route is in ${route.namespace}, the Service in ${namespace}): not expressible in Weft, whose mesh routes govern every caller of a service; skipped`,
        );
        return;
      }
      if (ref.sectionName !== undefined) sink.note(at, `sectionName ${ref.sectionName}: Weft mesh routes apply to calls on any port of the service`);
      meshServices.push({ name: ref.name, port: ref.port, at });
    } else if (group === GATEWAY_GROUP && kind === 'Gateway') {
      gatewayParents++;
      const attached = attachToGateway(route, ref, at, gateways, sink);
      hosts.push(...attached.hosts);
      protocols.push(...attached.protocols);
      if (attached.gateway) attachedGateways.push({ id: attached.gateway, hosts: attached.hosts });
    } else sink.note(at, `parent ${group}/${kind} ${ref.name}: not expressible in Weft (a route's parents are Gateways, for the edge, or Services, for the mesh); skipped`);
  });
  return {
    edgeHosts: gatewayParents > 0 ? mergeHosts(hosts) : [],
    meshServices,
    httpListenersOnly: protocols.length > 0 && protocols.every((p) => p === 'HTTP'),
    gateways: attachedGateways,
  };
}
