// Service compile step: the canonical form data planes pick endpoints from.
import type { TypedDocument } from '../document.ts';
import { ms } from '../shared/duration.ts';
import type { ServiceSpec } from './schema.ts';

export interface CompiledService {
  id: string;
  name: string;
  namespace: string;
  port: number;
  protocol: 'http' | 'https';
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

function compileHashOn(h: NonNullable<ServiceSpec['loadBalancer']['hashOn']>): NonNullable<CompiledService['loadBalancer']['hashOn']> {
  if ('header' in h) return { header: h.header.toLowerCase() };
  if ('cookie' in h) return { cookie: h.cookie.ttl ? { name: h.cookie.name, ttlMs: ms(h.cookie.ttl) } : { name: h.cookie.name } };
  return { sourceIp: true };
}

export function compileService(doc: TypedDocument<ServiceSpec>): CompiledService {
  const s = doc.spec;
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

