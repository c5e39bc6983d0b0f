// Reads Kubernetes manifests (several documents per file) and sorts out what import uses:
// Gateways, HTTPRoutes, GRPCRoutes and core/v1 Services. Everything else (Deployments,
// Namespaces, implementation CRDs) is skipped quietly; other Gateway API routes get a note.
import type { SourceDocument } from '../../core/policy/document.ts';
import type { PathSegment, PolicyError } from '../../core/policy/errors.ts';
import { loadPolicyYaml } from '../../core/policy/load-yaml.ts';
import { DEFAULT_NAMESPACE } from '../../core/policy/shared/envelope.ts';
import type { z } from 'zod';
import { gateway, GATEWAY_API_VERSIONS, grpcRoute, httpRoute, kubernetesService } from './gateway-api-schema.ts';
import type { Gateway, GrpcRoute, HttpRoute, KubernetesService } from './gateway-api-schema.ts';
import type { Note } from './notes.ts';
import { noteSink } from './notes.ts';

export interface ManifestObject<T> {
  source: SourceDocument;
  value: T;
  namespace: string;
  name: string;
  /** `Kind namespace/name`, as notes name the object. */
  label: string;
}

export type RouteObject = ManifestObject<HttpRoute> | ManifestObject<GrpcRoute>;

export interface Manifests {
  gateways: Map<string, ManifestObject<Gateway>>;
  /** In input order; a route given twice appears once, at its later definition. */
  routes: RouteObject[];
  services: Map<string, ManifestObject<KubernetesService>>;
}

/** Gateway API kinds with nothing to carry into Weft routing, skipped without a note. */
const QUIET_KINDS = new Set(['GatewayClass', 'ReferenceGrant']);
const OTHER_ROUTES = new Set(['TCPRoute', 'TLSRoute', 'UDPRoute']);

export const objectId = (namespace: string, name: string) => `${namespace}/${name}`;

function probe(value: unknown): { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } } {
  return value !== null && typeof value === 'object' ? (value as ReturnType<typeof probe>) : {};
}

function describeIssue(issue: z.core.$ZodIssue): { path: PathSegment[]; message: string } {
  return { path: issue.path.filter((p): p is PathSegment => typeof p !== 'symbol'), message: issue.message };
}

export function readManifests(inputs: readonly { file: string; text: string }[], notes: Note[]): { manifests: Manifests; errors: PolicyError[] } {
  const manifests: Manifests = { gateways: new Map(), routes: [], services: new Map() };
  const errors: PolicyError[] = [];
  const routeIndex = new Map<string, number>();
  for (const input of inputs) {
    const loaded = loadPolicyYaml(input.file, input.text);
    errors.push(...loaded.errors);
    for (const source of loaded.documents) {
      const head = probe(source.value);
      const kind = typeof head.kind === 'string' ? head.kind : '';
      const name = typeof head.metadata?.name === 'string' ? head.metadata.name : '';
      const namespace = typeof head.metadata?.namespace === 'string' ? head.metadata.namespace : DEFAULT_NAMESPACE;
      const label = `${kind} ${objectId(namespace, name)}`;
      const sink = noteSink(notes, source.file, label, (p) => source.locate(p));
      const isGatewayApi = typeof head.apiVersion === 'string' && GATEWAY_API_VERSIONS.includes(head.apiVersion);
      const parse = <T>(schema: z.ZodType<T>): T | undefined => {
        const parsed = schema.safeParse(source.value);
        if (parsed.success) return parsed.data;
        const issue = describeIssue(parsed.error.issues[0] as z.core.$ZodIssue);
        sink.note(issue.path, `not a valid ${kind} (${issue.message}); skipped`);
        return undefined;
      };
      const object = <T>(value: T): ManifestObject<T> => ({ source, value, namespace, name, label });
      if (isGatewayApi && (kind === 'HTTPRoute' || kind === 'GRPCRoute')) {
        const value = kind === 'HTTPRoute' ? parse(httpRoute) : parse(grpcRoute);
        if (!value) continue;
        const id = `${kind} ${objectId(namespace, name)}`;
        const earlier = routeIndex.get(id);
        if (earlier !== undefined) {
          const first = manifests.routes[earlier] as RouteObject;
          sink.note([], `given again (first at ${first.source.file}:${first.source.locate([]).line}); this later definition is used, as kubectl apply would`);
          manifests.routes.splice(earlier, 1);
          for (const [k, i] of routeIndex) if (i > earlier) routeIndex.set(k, i - 1);
        }
        routeIndex.set(id, manifests.routes.length);
        manifests.routes.push(object(value) as RouteObject);
      } else if (isGatewayApi && kind === 'Gateway') {
        const value = parse(gateway);
        if (value) manifests.gateways.set(objectId(namespace, name), object(value));
      } else if (isGatewayApi && OTHER_ROUTES.has(kind)) {
        sink.note([], `not expressible in Weft (Weft routes HTTP, gRPC and WebSockets; ${kind} is TCP/TLS/UDP routing); skipped`);
      } else if (isGatewayApi && !QUIET_KINDS.has(kind)) {
        sink.note([], `not carried over (weft import reads HTTPRoute, GRPCRoute and the Gateways they attach to)`);
      } else if (head.apiVersion === 'v1' && kind === 'Service') {
        const value = parse(kubernetesService);
        if (value) manifests.services.set(objectId(namespace, name), object(value));
      }
    }
  }
  return { manifests, errors };
}
