// The parts of Kubernetes Gateway API objects (gateway.networking.k8s.io v1, v1beta1,
// v1alpha2) and of core/v1 Services that import reads and export writes. Objects stay loose:
// a field this schema does not list is kept, so the importer can name it in a note instead
// of dropping it silently.
import { z } from 'zod';

export const GATEWAY_GROUP = 'gateway.networking.k8s.io';
export const GATEWAY_API_VERSIONS = [`${GATEWAY_GROUP}/v1`, `${GATEWAY_GROUP}/v1beta1`, `${GATEWAY_GROUP}/v1alpha2`];

const metadata = z.looseObject({ name: z.string().min(1), namespace: z.string().min(1).optional() });

export const parentRef = z.looseObject({
  group: z.string().optional(),
  kind: z.string().optional(),
  namespace: z.string().optional(),
  name: z.string().min(1),
  sectionName: z.string().optional(),
  port: z.number().int().optional(),
});

export const backendObjectRef = z.looseObject({
  group: z.string().optional(),
  kind: z.string().optional(),
  name: z.string().min(1),
  namespace: z.string().optional(),
  port: z.number().int().optional(),
});

const header = z.looseObject({ name: z.string().min(1), value: z.string() });

export const headerModifier = z.looseObject({
  set: z.array(header).optional(),
  add: z.array(header).optional(),
  remove: z.array(z.string()).optional(),
});

const pathModifier = z.looseObject({
  type: z.string(),
  replaceFullPath: z.string().optional(),
  replacePrefixMatch: z.string().optional(),
});

export const filter = z.looseObject({
  type: z.string(),
  requestHeaderModifier: headerModifier.optional(),
  responseHeaderModifier: headerModifier.optional(),
  requestMirror: z
    .looseObject({
      backendRef: backendObjectRef,
      percent: z.number().optional(),
      fraction: z.looseObject({ numerator: z.number().int(), denominator: z.number().int().optional() }).optional(),
    })
    .optional(),
  requestRedirect: z
    .looseObject({
      scheme: z.string().optional(),
      hostname: z.string().optional(),
      path: pathModifier.optional(),
      port: z.number().int().optional(),
      statusCode: z.number().int().optional(),
    })
    .optional(),
  urlRewrite: z.looseObject({ hostname: z.string().optional(), path: pathModifier.optional() }).optional(),
  cors: z
    .looseObject({
      allowOrigins: z.array(z.string()).optional(),
      allowCredentials: z.boolean().optional(),
      allowMethods: z.array(z.string()).optional(),
      allowHeaders: z.array(z.string()).optional(),
      exposeHeaders: z.array(z.string()).optional(),
      maxAge: z.number().int().optional(),
    })
    .optional(),
  extensionRef: z.looseObject({ group: z.string().optional(), kind: z.string(), name: z.string() }).optional(),
});

export const backendRef = backendObjectRef.extend({
  weight: z.number().int().optional(),
  filters: z.array(filter).optional(),
});

const valueMatch = z.looseObject({ type: z.string().optional(), name: z.string().min(1), value: z.string() });

const httpMatch = z.looseObject({
  path: z.looseObject({ type: z.string().optional(), value: z.string().optional() }).optional(),
  headers: z.array(valueMatch).optional(),
  queryParams: z.array(valueMatch).optional(),
  method: z.string().optional(),
});

const httpRule = z.looseObject({
  name: z.string().optional(),
  matches: z.array(httpMatch).optional(),
  filters: z.array(filter).optional(),
  backendRefs: z.array(backendRef).optional(),
  timeouts: z.looseObject({ request: z.string().optional(), backendRequest: z.string().optional() }).optional(),
  retry: z.looseObject({ codes: z.array(z.number().int()).optional(), attempts: z.number().int().optional(), backoff: z.string().optional() }).optional(),
});

const grpcMatch = z.looseObject({
  method: z.looseObject({ type: z.string().optional(), service: z.string().optional(), method: z.string().optional() }).optional(),
  headers: z.array(valueMatch).optional(),
});

const grpcRule = z.looseObject({
  name: z.string().optional(),
  matches: z.array(grpcMatch).optional(),
  filters: z.array(filter).optional(),
  backendRefs: z.array(backendRef).optional(),
});

const routeSpec = {
  parentRefs: z.array(parentRef).optional(),
  hostnames: z.array(z.string()).optional(),
};

export const httpRoute = z.looseObject({
  kind: z.literal('HTTPRoute'),
  metadata,
  spec: z.looseObject({ ...routeSpec, rules: z.array(httpRule).optional() }),
});

export const grpcRoute = z.looseObject({
  kind: z.literal('GRPCRoute'),
  metadata,
  spec: z.looseObject({ ...routeSpec, rules: z.array(grpcRule).optional() }),
});

export const gateway = z.looseObject({
  kind: z.literal('Gateway'),
  metadata,
  spec: z.looseObject({
    listeners: z.array(
      z.looseObject({
        name: z.string(),
        hostname: z.string().optional(),
        port: z.number().int(),
        protocol: z.string(),
        allowedRoutes: z
          .looseObject({
            namespaces: z.looseObject({ from: z.string().optional() }).optional(),
            kinds: z.array(z.looseObject({ group: z.string().optional(), kind: z.string() })).optional(),
          })
          .optional(),
      }),
    ),
  }),
});

/** A core/v1 Service: only its ports matter (the port a backendRef names → the port the app listens on). */
export const kubernetesService = z.looseObject({
  kind: z.literal('Service'),
  metadata,
  spec: z
    .looseObject({
      ports: z
        .array(
          z.looseObject({
            name: z.string().optional(),
            port: z.number().int(),
            targetPort: z.union([z.number().int(), z.string()]).optional(),
            appProtocol: z.string().optional(),
          }),
        )
        .optional(),
    })
    .optional(),
});

export type HttpRoute = z.infer<typeof httpRoute>;
export type GrpcRoute = z.infer<typeof grpcRoute>;
export type HttpRule = HttpRoute['spec'] extends { rules?: (infer R)[] | undefined } ? R : never;
export type GrpcRule = GrpcRoute['spec'] extends { rules?: (infer R)[] | undefined } ? R : never;
export type HttpMatch = z.infer<typeof httpMatch>;
export type GrpcMatch = z.infer<typeof grpcMatch>;
export type ValueMatch = z.infer<typeof valueMatch>;
export type Filter = z.infer<typeof filter>;
export type BackendRef = z.infer<typeof backendRef>;
export type BackendObjectRef = z.infer<typeof backendObjectRef>;
export type ParentRef = z.infer<typeof parentRef>;
export type HeaderModifier = z.infer<typeof headerModifier>;
export type Gateway = z.infer<typeof gateway>;
export type Listener = Gateway['spec']['listeners'][number];
export type KubernetesService = z.infer<typeof kubernetesService>;
