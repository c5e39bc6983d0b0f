// The admin API (Hono): liveness, readiness, what the sidecar enforces, the endpoints it knows,
// and Prometheus metrics. Read-only, bound to the sidecar's bind address (127.0.0.1 by
// default): it shows configuration, never keys or tokens.
import { Hono } from 'hono';
import type { SidecarMetrics } from '../telemetry/metrics.ts';
import type { SidecarView } from '../types.ts';
import { meshRoutesSummary } from './routes-summary.ts';

/** The control client's status (ControlClientStatus), as far as the admin API reads it. */
export interface AdminStatus {
  connected: boolean;
  snapshot: { version: string; appliedAt: string; fromDisk: boolean } | null;
  rejected: { version: string; reason: string } | null;
  endpointsVersion: string | null;
  svid: { spiffeId: string; expiresAt: string } | null;
  lastError: string | null;
}

/** What the admin API reads; each getter answers for now (undefined before the part exists). */
export interface AdminSource {
  view(): SidecarView | undefined;
  status(): AdminStatus | undefined;
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
  if (!source.listeners()) missing.push('listeners: not bound yet');
  return missing;
}

export function createAdminApp(source: AdminSource): Hono {
  const app = new Hono();

  app.get('/live', (c) => c.json({ live: true }));

  app.get('/ready', (c) => {
    const missing = readinessGaps(source);
    if (missing.length === 0) return c.json({ ready: true, snapshot: source.status()?.snapshot?.version ?? null });
    return c.json({ ready: false, missing, ...jsonError('not_ready', `not ready: ${missing.join('; ')}`) }, 503);
  });

  app.get('/config', (c) => {
    const view = source.view();
    const status = source.status();
    const runtime = view?.runtime();
    const self = view?.self;
    return c.json({
      identity: self ? { spiffeId: self.spiffeId, trustDomain: self.trustDomain, namespace: self.namespace, service: self.service, instanceId: self.instanceId, labels: self.labels } : null,
      listeners: source.listeners() ?? null,
      control: status ? { connected: status.connected, lastError: status.lastError } : null,
      snapshot: status?.snapshot ?? (runtime ? { version: runtime.version, appliedAt: null, fromDisk: null } : null),
      rejected: status?.rejected ?? null,
      svid: status?.svid ?? null,
      endpointsVersion: status?.endpointsVersion ?? null,
      routes: runtime && self ? meshRoutesSummary(runtime, `${self.namespace}/${self.service}`) : null,
    });
  });

  app.get('/endpoints', (c) => {
    const doc = source.view()?.endpoints();
    if (!doc) return c.json(jsonError('no_endpoints', 'no endpoints document from control yet'), 503);
    const services = Object.entries(doc.endpoints)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([service, instances]) => ({ service, instances }));
    return c.json({ version: doc.version, generatedAt: doc.generatedAt, services });
  });

  app.get('/metrics', async (c) => {
    const { body, contentType } = await source.metrics.render();
    return c.body(body, 200, { 'content-type': contentType });
  });

  app.notFound((c) => c.json(jsonError('not_found', `no admin endpoint ${c.req.method} ${c.req.path}; try /live, /ready, /config, /endpoints, /metrics`), 404));
  app.onError((e, c) => c.json(jsonError('internal', e.message), 500));
  return app;
}
