// The admin API: liveness, readiness, what the sidecar enforces, the endpoints it knows, and
// Prometheus metrics. Read-only, bound to the sidecar's bind address (127.0.0.1 by default):
// it shows configuration, never keys or tokens.
//
// Five GET endpoints, answered by a plain function over node:http (admin-server.ts) rather than
// Hono on @hono/node-server: the adaptor reads the global Request and Response at load, which
// makes Node load its internal fetch stack, about 10 MB of resident memory per sidecar that
// nothing else in the sidecar needs (its HTTP client is the bundled undici).
import type { SidecarMetrics } from '../telemetry/metrics.ts';
import type { ControlClientStatus } from '../control/options.ts';
import type { SidecarView } from '../types.ts';
import { meshRoutesSummary } from './routes-summary.ts';


/** What the admin API reads; each getter answers for now (undefined before the part exists). */
export interface AdminSource {
  view(): SidecarView | undefined;
  status(): ControlClientStatus | undefined;
  /** Listener ports once bound. */
  listeners(): { inbound: number; outbound: number } | undefined;
  draining(): boolean;
  metrics: SidecarMetrics;
}

function jsonError(code: string, message: string) {
  return { error: { code, message } };
}

/** What keeps the sidecar from being ready; [] when it is. */
export function readinessGaps(source: AdminSource, now = Date.now()): string[] {
  const missing: string[] = [];
  const status = source.status();
  if (source.draining()) missing.push('draining: the sidecar is shutting down');
  if (!status) return [...missing, 'control client: not started', 'snapshot: none yet', 'svid: none yet'];
  if (!status.snapshot) missing.push(`snapshot: none yet${status.rejected ? ` (refused ${status.rejected.version}: ${status.rejected.reason})` : ''}${status.lastError ? ` (control: ${status.lastError})` : ''}`);
  if (!status.svid) missing.push(`svid: none yet${status.lastError ? ` (control: ${status.lastError})` : ''}`);
  else if (Date.parse(status.svid.expiresAt) <= now) missing.push(`svid: expired at ${status.svid.expiresAt}`);
  if (status.x509Problem) missing.push(`x509-svid: ${status.x509Problem}`);
  if (!source.listeners()) missing.push('listeners: not bound yet');
  return missing;
}

export interface AdminReply {
  status: number;
  contentType: string;
  body: string;
}

const json = (status: number, value: unknown): AdminReply => ({ status, contentType: 'application/json; charset=utf-8', body: JSON.stringify(value) });

function ready(source: AdminSource): AdminReply {
  const missing = readinessGaps(source);
  if (missing.length === 0) return json(200, { ready: true, snapshot: source.status()?.snapshot?.version ?? null });
  return json(503, { ready: false, missing, ...jsonError('not_ready', `not ready: ${missing.join('; ')}`) });
}

function config(source: AdminSource): AdminReply {
  const view = source.view();
  const status = source.status();
  const runtime = view?.runtime();
  const self = view?.self;
  return json(200, {
    identity: self ? { spiffeId: self.spiffeId, trustDomain: self.trustDomain, namespace: self.namespace, service: self.service, instanceId: self.instanceId, labels: self.labels } : null,
    listeners: source.listeners() ?? null,
    control: status ? { connected: status.connected, lastError: status.lastError } : null,
    snapshot: status?.snapshot ?? (runtime ? { version: runtime.version, appliedAt: null, fromDisk: null } : null),
    rejected: status?.rejected ?? null,
    svid: status?.svid ?? null,
    endpointsVersion: status?.endpointsVersion ?? null,
    routes: runtime && self ? meshRoutesSummary(runtime, `${self.namespace}/${self.service}`) : null,
  });
}

function endpoints(source: AdminSource): AdminReply {
  const doc = source.view()?.endpoints();
  if (!doc) return json(503, jsonError('not_ready', 'no endpoints document from control yet'));
  const services = Object.entries(doc.endpoints)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([service, instances]) => ({ service, instances }));
  return json(200, { version: doc.version, generatedAt: doc.generatedAt, services });
}

const ROUTES: Record<string, (source: AdminSource) => AdminReply | Promise<AdminReply>> = {
  '/live': () => json(200, { live: true }),
  '/ready': ready,
  '/config': config,
  '/endpoints': endpoints,
  '/metrics': async (source) => {
    const { body, contentType } = await source.metrics.render();
    return { status: 200, contentType, body };
  },
};

/** The answer to one admin request (`path` without the query). Never throws. */
export async function handleAdmin(source: AdminSource, method: string, path: string): Promise<AdminReply> {
  const route = ROUTES[path.length > 1 ? path.replace(/\/+$/, '') : path];
  if (!route) return json(404, jsonError('not_found', `no admin endpoint ${method} ${path}; try /live, /ready, /config, /endpoints, /metrics`));
  if (method !== 'GET' && method !== 'HEAD') return json(405, jsonError('method_not_allowed', `${path} answers GET only`));
  try {
    return await route(source);
  } catch (e) {
    return json(500, jsonError('internal', (e as Error)?.message ?? String(e)));
  }
}
