// The Weft policy a conformance group runs under on one plane: a Service per upstream backend
// Service (infra-backend-v1…v3, and the gRPC ones where the plane runs them; on 127.0.0.1, ports
// given by the plane) and the group's Routes.
// At the edge a Route serves its hosts (`*` for an HTTPRoute without hostnames); in the mesh it
// governs calls to the service `echo`, as a GAMMA HTTPRoute whose parentRef is that Service
// (conformance/tests/mesh/ of the Gateway API). Documents are JSON, which is YAML.
import type { ConformanceGroup, PlaneName } from './types.ts';

/** The upstream's backend Services (conformance/base/manifests.yaml), one echo server each. */
export const INFRA_BACKENDS = ['infra-backend-v1', 'infra-backend-v2', 'infra-backend-v3'] as const;

/** Its gRPC backend Services (GrpcEcho servers, test/support/grpc-echo.ts). */
export const GRPC_BACKENDS = ['grpc-infra-backend-v1', 'grpc-infra-backend-v2', 'grpc-infra-backend-v3'] as const;

/** The Service a mesh route governs: callers name it as their Host. */
export const MESH_SERVICE = 'echo';

function doc(kind: string, name: string, spec: Record<string, unknown>): string {
  return JSON.stringify({ apiVersion: 'weft/v1', kind, metadata: { name }, spec });
}

/** The documents: a Service per backend the plane runs (`ports`), the group's Routes. */
export function groupPolicy(group: ConformanceGroup, plane: PlaneName, ports: Readonly<Record<string, number>>): string[] {
  const services = Object.entries(ports).map(([name, port]) =>
    doc('Service', name, { port: 8080, ...((GRPC_BACKENDS as readonly string[]).includes(name) ? { protocol: 'grpc' } : {}), endpoints: [{ address: '127.0.0.1', port }] }),
  );
  // The mesh route's own Service: callers address it; it has no instances of its own.
  if (plane === 'sidecar') services.push(doc('Service', MESH_SERVICE, { port: 80 }));
  const routes = group.routes.map((r) =>
    doc('Route', r.name, { ...(plane === 'gateway' ? { edge: { hosts: r.hosts ?? ['*'] } } : { mesh: { services: [MESH_SERVICE] } }), rules: r.rules }),
  );
  return [...services, ...routes];
}
