// `weft export gateway-api`: compiled-valid Weft policy → HTTPRoute / GRPCRoute documents for
// what the Gateway API can express, with a note for everything it cannot (authentication,
// access policy, rate limits, Mesh defaults, Service tuning, fault injection…).
import type { SourceDocument } from '../../core/policy/document.ts';
import { routeDocument } from '../../core/policy/route/schema.ts';
import { DEFAULT_NAMESPACE, documentId } from '../../core/policy/shared/envelope.ts';
import type { SnapshotBody } from '../../core/snapshot/types.ts';
import { exportRule } from './export-rule.ts';
import type { ExportContext } from './export-rule.ts';
import { GATEWAY_GROUP } from './gateway-api-schema.ts';
import type { Note } from './notes.ts';
import { noteSink, sortNotes } from './notes.ts';
import type { WeftRouteSpec } from './weft-types.ts';
import type { CommentedDocument } from './write-yaml.ts';

export interface ExportOptions {
  /** The Gateway edge routes attach to. */
  gateway: { name: string; namespace?: string };
}

export interface ExportResult {
  documents: CommentedDocument[];
  notes: Note[];
}

type Json = Record<string, unknown>;

const SERVICE_TUNING = ['endpoints', 'loadBalancer', 'connectionLimits', 'outlierDetection', 'mtls'];
const POLICY_KINDS: Record<string, string> = {
  Authentication: 'implementations have their own policies for end-user authentication: Envoy Gateway SecurityPolicy, Istio RequestAuthentication',
  AccessPolicy: 'implementations have their own policies for access: Envoy Gateway SecurityPolicy, Istio AuthorizationPolicy',
  RateLimit: 'implementations have their own policies for rate limits: Envoy Gateway BackendTrafficPolicy, Istio EnvoyFilter',
};

function noteNonRoute(source: SourceDocument, notes: Note[]): void {
  const value = source.value as { kind: string; metadata: { name: string; namespace?: string }; spec?: Json };
  const object = `${value.kind} ${documentId({ name: value.metadata.name, namespace: value.metadata.namespace ?? DEFAULT_NAMESPACE })}`;
  const sink = noteSink(notes, source.file, object, (p) => source.locate(p));
  const spec = value.spec ?? {};
  if (value.kind === 'Mesh') {
    if (spec.defaults !== undefined)
      sink.note(['spec', 'defaults'], 'the Gateway API has no mesh-wide defaults: rules without their own timeout and retries get the implementation’s, not these');
  } else if (value.kind === 'Service') {
    const tuned = SERVICE_TUNING.filter((f) => spec[f] !== undefined);
    if (tuned.length)
      sink.note(['spec'], `${tuned.join(', ')}: not expressible in the Gateway API (Kubernetes Services and implementation policies such as Envoy Gateway's BackendTrafficPolicy or Istio's DestinationRule hold these)`);
    if (spec.protocol !== undefined && spec.protocol !== 'http')
      sink.note(['spec', 'protocol'], `the Gateway API takes a backend's protocol (${String(spec.protocol)}) from its Kubernetes Service: give that port appProtocol kubernetes.io/h2c`);
  } else if (POLICY_KINDS[value.kind]) sink.note([], `not expressible in the Gateway API (${POLICY_KINDS[value.kind]})`);
}

export function exportGatewayApi(sources: readonly SourceDocument[], body: SnapshotBody, options: ExportOptions): ExportResult {
  const notes: Note[] = [];
  const routeSources = new Map<string, SourceDocument>();
  for (const source of sources) {
    const kind = (source.value as { kind?: unknown }).kind;
    if (kind !== 'Route') noteNonRoute(source, notes);
    else {
      const parsed = routeDocument.parse(source.value);
      routeSources.set(documentId(parsed.metadata), source);
    }
  }
  const ports = new Map(body.services.map((s) => [s.id, s.port]));
  const documents: CommentedDocument[] = [];
  for (const compiled of body.routes) {
    const source = routeSources.get(compiled.id);
    if (!source) continue;
    const parsed = routeDocument.parse(source.value);
    const spec = parsed.spec as unknown as WeftRouteSpec;
    const rawRules = ((source.value as { spec: { rules: Json[] } }).spec.rules ?? []) as Json[];
    const sink = noteSink(notes, source.file, `Route ${compiled.id}`, (p) => source.locate(p));
    const ctx: ExportContext = { namespace: compiled.namespace, sink, servicePort: (ns, name) => ports.get(`${ns}/${name}`) ?? 80 };
    const rules = spec.rules.map((r, i) => exportRule(r, rawRules[i] ?? {}, compiled.rules[i] as SnapshotBody['routes'][number]['rules'][number], i, ctx));
    const grpc = rules.every((r) => r.grpc !== undefined);
    const parentRefs: Json[] = [];
    if (spec.edge) parentRefs.push({ name: options.gateway.name, ...(options.gateway.namespace ? { namespace: options.gateway.namespace } : {}) });
    // A Weft Service has one port, so naming it keeps the route's reach and tells an importer the port.
    for (const service of spec.mesh?.services ?? []) parentRefs.push({ group: '', kind: 'Service', name: service, port: ctx.servicePort(compiled.namespace, service) });
    const routeSpec: Json = { parentRefs };
    if (spec.edge && !spec.edge.hosts.includes('*')) routeSpec.hostnames = spec.edge.hosts;
    routeSpec.rules = rules.map((r) => (grpc ? r.grpc : r.http));
    documents.push({
      comment: ` from Route ${compiled.id} (${source.file}:${source.locate([]).line})`,
      document: { apiVersion: `${GATEWAY_GROUP}/v1`, kind: grpc ? 'GRPCRoute' : 'HTTPRoute', metadata: { name: compiled.name, namespace: compiled.namespace }, spec: routeSpec },
    });
  }
  return { documents, notes: sortNotes(notes) };
}
