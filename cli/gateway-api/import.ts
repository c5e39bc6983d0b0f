// `weft import gateway-api`: Kubernetes Gateway API manifests → Weft Route and Service
// documents, plus one note for each field that could not be carried over and why. Pure:
// texts in, documents and notes out (the command reads files and writes the result).
import type { PolicyError } from '../../core/policy/errors.ts';
import { attachRoute } from './attach.ts';
import type { RouteContext } from './import-filters.ts';
import { importGrpcRule, importHttpRule } from './import-rule.ts';
import { intersectHostnames } from './hostnames.ts';
import { objectId, readManifests } from './manifests.ts';
import type { Manifests, RouteObject } from './manifests.ts';
import type { Note, NoteSink } from './notes.ts';
import { noteSink, sortNotes } from './notes.ts';
import { ServiceCatalog } from './service-catalog.ts';
import type { ImportedDocument, WeftRouteSpec, WeftRule } from './weft-types.ts';

export interface ImportInput {
  /** The file's name as notes should show it. */
  file: string;
  text: string;
}

export interface ImportResult {
  /** Services first (sorted), then Routes in input order. */
  documents: ImportedDocument[];
  notes: Note[];
  /** Unreadable YAML: nothing sensible can be imported from such a file. */
  errors: PolicyError[];
  /** HTTPRoutes and GRPCRoutes found in the inputs (imported or not). */
  routesFound: number;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A Kubernetes object name (a DNS subdomain) as a Weft name (a DNS label). */
function weftName(name: string): string {
  const label = name.toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 63).replace(/^-+|-+$/g, '');
  return DNS_LABEL.test(label) ? label : 'route';
}

function uniqueName(wanted: string, namespace: string, taken: Set<string>): string {
  let name = wanted;
  for (let n = 2; taken.has(objectId(namespace, name)); n++) name = `${wanted.slice(0, 60)}-${n}`;
  taken.add(objectId(namespace, name));
  return name;
}

function importRules(route: RouteObject, ctx: RouteContext, httpListenersOnly: boolean): WeftRule[] {
  const rules =
    route.value.kind === 'HTTPRoute'
      ? (route.value.spec.rules ?? []).map((r, i) => importHttpRule(r, i, ctx, httpListenersOnly))
      : (route.value.spec.rules ?? []).map((r, i) => importGrpcRule(r, i, ctx));
  return rules.filter((r): r is WeftRule => r !== undefined);
}

function importRoute(
  route: RouteObject,
  ctx: RouteContext,
  gateways: Parameters<typeof attachRoute>[1],
  taken: Set<string>,
  gatewayHosts: Map<string, string[]>,
): ImportedDocument | undefined {
  const { sink } = ctx;
  const attached = attachRoute(route, gateways, sink);
  for (const g of attached.gateways) gatewayHosts.set(g.id, [...(gatewayHosts.get(g.id) ?? []), ...g.hosts]);
  const meshServices = [...new Set(attached.meshServices.map((m) => m.name))];
  if (attached.edgeHosts.length === 0 && meshServices.length === 0) {
    sink.note([], 'not imported: it attaches to no Gateway listener and no Service');
    return undefined;
  }
  const written = route.value.spec.rules ?? [];
  const rules = written.length > 0 ? importRules(route, ctx, attached.httpListenersOnly) : [{ backends: [] }];
  if (rules.length === 0) {
    sink.note([], 'not imported: no rule is left');
    return undefined;
  }
  for (const m of attached.meshServices)
    ctx.services.use({ namespace: route.namespace, name: m.name, port: m.port, ...(route.value.kind === 'GRPCRoute' ? { protocol: 'grpc' as const } : {}) }, m.at, sink);
  const wanted = weftName(route.name);
  const name = uniqueName(wanted, route.namespace, taken);
  if (name !== route.name) sink.note(['metadata', 'name'], `imported as Route ${objectId(route.namespace, name)} (${name === wanted ? 'Weft names are DNS labels' : 'that name is taken'})`);
  const spec: WeftRouteSpec = { rules };
  if (attached.edgeHosts.length > 0) spec.edge = { hosts: attached.edgeHosts };
  if (meshServices.length > 0) spec.mesh = { services: meshServices };
  return {
    comment: ` ${route.label} (${route.source.file}:${route.source.locate([]).line})`,
    document: { apiVersion: 'weft/v1', kind: 'Route', metadata: { name, namespace: route.namespace }, spec: { ...(spec.edge ? { edge: spec.edge } : {}), ...(spec.mesh ? { mesh: spec.mesh } : {}), rules } },
  };
}

/** A host two Gateways' routes both serve, or undefined: Weft's one edge gateway merges them there. */
function sharedHost(a: readonly string[], b: readonly string[]): string | undefined {
  for (const x of a)
    for (const y of b) {
      const shared = x === '*' ? [y] : intersectHostnames([x], y === '*' ? undefined : y);
      if (shared.length > 0) return shared[0];
    }
  return undefined;
}

function noteSharedHosts(gatewayHosts: ReadonlyMap<string, string[]>, gateways: Manifests['gateways'], notes: Note[]): void {
  const ids = [...gatewayHosts.keys()];
  for (const id of ids) {
    const gw = gateways.get(id);
    const others = ids.filter((o) => o !== id).map((o) => ({ o, host: sharedHost(gatewayHosts.get(id) ?? [], gatewayHosts.get(o) ?? []) })).filter((x) => x.host);
    if (!gw || others.length === 0) continue;
    notes.push({
      file: gw.source.file,
      line: gw.source.locate([]).line,
      object: gw.label,
      path: '',
      message: `its routes and those of Gateway ${others.map((x) => `${x.o} share host ${x.host}`).join(', ')}: Weft has one edge gateway, so there they answer the same requests`,
    });
  }
}

export function importGatewayApi(inputs: readonly ImportInput[]): ImportResult {
  const notes: Note[] = [];
  const { manifests, errors } = readManifests(inputs, notes);
  const services = new ServiceCatalog(manifests.services);
  const taken = new Set<string>();
  const routes: ImportedDocument[] = [];
  const gatewayHosts = new Map<string, string[]>();
  for (const route of manifests.routes) {
    const sink: NoteSink = noteSink(notes, route.source.file, route.label, (p) => route.source.locate(p));
    const doc = importRoute(route, { namespace: route.namespace, kind: route.value.kind, sink, services }, manifests.gateways, taken, gatewayHosts);
    if (doc) routes.push(doc);
  }
  noteSharedHosts(gatewayHosts, manifests.gateways, notes);
  const serviceDocuments = services.documents();
  return { documents: [...serviceDocuments, ...routes], notes: sortNotes(notes), errors, routesFound: manifests.routes.length };
}
