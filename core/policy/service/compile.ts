// Service compile step: the canonical form data planes pick endpoints from, and the fields
// no data plane can enforce refused (core/policy/service/enforcement.ts).
import type { CompileContext } from '../compile-context.ts';
import type { TypedDocument } from '../document.ts';
import { ms } from '../shared/duration.ts';
import type { ServiceProtocol } from './protocol.ts';
import type { ServiceSpec } from './schema.ts';

export interface CompiledService {
  id: string;
  name: string;
  namespace: string;
  port: number;
  protocol: ServiceProtocol;
  subsets: { name: string; labels: Record<string, string> }[];
  endpoints: { address: string; port: number; labels: Record<string, string>; weight: number }[];
  loadBalancer: {
    algorithm: 'round-robin' | 'least-request' | 'random' | 'consistent-hash';
    hashOn?: { header: string } | { cookie: { name: string; ttlMs?: number } } | { sourceIp: true };
  };
  connectionLimits: { maxConnections: number; maxPendingRequests: number; maxRequestsPerConnection: number };
  /** Only when the Service overrides the Mesh's mTLS mode (absent: the Mesh's applies). */
  mtls?: { mode: 'strict' | 'permissive' };
  outlierDetection: {
    consecutive5xx: number;
    consecutiveGatewayErrors: number;
    intervalMs: number;
    baseEjectionTimeMs: number;
    maxEjectionPercent: number;
  } | null;
}

export const REFUSED = {
  stickyCookie:
    'no data plane issues the sticky cookie: the edge gateway and the mesh sidecar hash on the cookie when the client sends it, but neither sets it; remove ttl and have the app set the cookie',
} as const;

function compileHashOn(h: NonNullable<ServiceSpec['loadBalancer']['hashOn']>): NonNullable<CompiledService['loadBalancer']['hashOn']> {
  if ('header' in h) return { header: h.header.toLowerCase() };
  if ('cookie' in h) return { cookie: h.cookie.ttl ? { name: h.cookie.name, ttlMs: ms(h.cookie.ttl) } : { name: h.cookie.name } };
  return { sourceIp: true };
}

/** `ctx` is where refusals go; core/compile/compile.ts must pass its context, or they are not reported. */
export function compileService(doc: TypedDocument<ServiceSpec>, ctx?: Pick<CompileContext, 'error'>): CompiledService {
  const s = doc.spec;
  const hashOn = s.loadBalancer.hashOn;
  if (ctx && hashOn && 'cookie' in hashOn && hashOn.cookie.ttl !== undefined)
    ctx.error(doc, ['spec', 'loadBalancer', 'hashOn', 'cookie', 'ttl'], REFUSED.stickyCookie, 'schema');
  const od = s.outlierDetection;
  return {
    id: doc.id,
    name: doc.meta.name,
    namespace: doc.meta.namespace,
    port: s.port,
    protocol: s.protocol,
    subsets: s.subsets.map((x) => ({ name: x.name, labels: x.labels })),
    endpoints: s.endpoints.map((e) => ({ address: e.address, port: e.port ?? s.port, labels: e.labels, weight: e.weight })),
    loadBalancer: s.loadBalancer.hashOn
      ? { algorithm: s.loadBalancer.algorithm, hashOn: compileHashOn(s.loadBalancer.hashOn) }
      : { algorithm: s.loadBalancer.algorithm },
    connectionLimits: { ...s.connectionLimits },
    ...(s.mtls ? { mtls: { mode: s.mtls.mode } } : {}),
    outlierDetection: od
      ? {
          consecutive5xx: od.consecutive5xx,
          consecutiveGatewayErrors: od.consecutiveGatewayErrors,
          intervalMs: ms(od.interval),
          baseEjectionTimeMs: ms(od.baseEjectionTime),
          maxEjectionPercent: od.maxEjectionPercent,
        }
      : null,
  };
}

