// Assembles one sidecar: telemetry (metrics, access log, tracing when configured), the admin
// API, the control client (identity, snapshot, endpoints, registration) and the two proxies.
//
// Start order: admin first (so /live answers and /ready explains what is missing while the
// rest comes up), then control (identity and last-known-good or fresh snapshot), then the
// listeners. Stop order: /ready turns 503, both listeners stop accepting and drain in-flight
// requests for up to the grace period, then the control client deregisters this instance
// and stops, and the logs are flushed.
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Writable } from 'node:stream';
import { startAdminServer } from './admin/admin-server.ts';
import type { AdminServer } from './admin/admin-server.ts';
import type { SidecarConfig } from './config.ts';
import { startControlClient } from './control/control-client.ts';
import type { ControlClient } from './control/control-client.ts';
import { startInbound } from './proxy/inbound.ts';
import { startOutbound } from './proxy/outbound.ts';
import { accessLogObserver, createLineWriter } from './telemetry/access-log.ts';
import { fanOut } from './telemetry/fan-out.ts';
import { createLogger } from './telemetry/logger.ts';
import type { Log } from './telemetry/logger.ts';
import { createSidecarMetrics } from './telemetry/metrics.ts';
import type { SidecarMetrics } from './telemetry/metrics.ts';
import type { SidecarTracing } from './telemetry/tracing.ts';
import type { ProxyListener, ProxyObserver } from './types.ts';

export interface SidecarHandle {
  readonly ports: { inbound: number; outbound: number; admin: number };
  readonly client: ControlClient;
  readonly metrics: SidecarMetrics;
  /** Stop accepting, drain in-flight requests up to graceMs, deregister, flush. Idempotent. */
  stop(graceMs: number): Promise<void>;
}

/** Why the sidecar could not start; main.ts prints the message and exits 1. */
export class StartupError extends Error {}

/**
 * A free port on `host` when `port` is 0: the inbound port is registered with control before
 * the inbound listener exists (it needs the identity control gives). The port stays held by a
 * placeholder server until `release()`, called right before the real listener binds, so no
 * other process can take it while control is being asked.
 */
async function reservePort(host: string, port: number): Promise<{ port: number; release(): Promise<void> }> {
  if (port !== 0) return { port, release: () => Promise.resolve() };
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, host, () => resolve());
  });
  return { port: (probe.address() as AddressInfo).port, release: () => new Promise<void>((resolve) => probe.close(() => resolve())) };
}

function describeListenError(what: string, host: string, port: number, e: unknown): StartupError {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === 'EADDRINUSE') return new StartupError(`${what} port ${host}:${port} is already in use (set ${what === 'admin' ? '--admin-port' : `--${what}-port`})`);
  if (code === 'EADDRNOTAVAIL') return new StartupError(`cannot bind ${what} listener to ${host}: no such local address (check --bind)`);
  if (code === 'EACCES') return new StartupError(`not allowed to bind ${what} listener to ${host}:${port} (ports below 1024 need privileges)`);
  return new StartupError(`${what} listener on ${host}:${port} failed: ${(e as Error)?.message ?? String(e)}`);
}

export async function startSidecar(config: SidecarConfig, options: { log?: Log; accessLog?: Writable } = {}): Promise<SidecarHandle> {
  const log = options.log ?? createLogger(config.logLevel);
  let client: ControlClient | undefined;
  const metrics = createSidecarMetrics({ workload: `${config.namespace}/${config.service}`, maxRouteLabels: () => client?.runtime()?.snapshot.body.mesh.telemetry?.maxRouteLabels });
  const accessWriter = createLineWriter(options.accessLog ?? process.stdout);
  let tracing: SidecarTracing | null = null;
  if (config.otlpEndpoint) {
    const { loadTracing } = await import('./telemetry/tracing.ts');
    tracing = await loadTracing({ endpoint: config.otlpEndpoint, headers: config.otlpHeaders, serviceName: `weft-sidecar/${config.namespace}/${config.service}`, log });
  }
  const observers: ProxyObserver[] = [metrics.observer, accessLogObserver(accessWriter)];
  if (tracing) observers.push(tracing.observer);
  const observer = fanOut(observers);

  let inbound: ProxyListener | undefined;
  let outbound: ProxyListener | undefined;
  let draining = false;
  metrics.setSources({
    status: () => client?.status() ?? null,
    inFlight: () => ({ inbound: inbound?.inFlight() ?? 0, outbound: outbound?.inFlight() ?? 0 }),
    retryBudgets: () => outbound?.retryBudgets?.() ?? [],
  });

  let admin: AdminServer;
  try {
    admin = await startAdminServer(
      {
        view: () => client,
        status: () => client?.status(),
        listeners: () => (inbound && outbound ? { inbound: inbound.port, outbound: outbound.port } : undefined),
        draining: () => draining,
        metrics,
      },
      config.bind,
      config.adminPort,
    );
  } catch (e) {
    throw describeListenError('admin', config.bind, config.adminPort, e);
  }

  const cleanup = async () => {
    await Promise.allSettled([inbound?.close(0), outbound?.close(0)]);
    await client?.close().catch(() => undefined);
    await tracing?.shutdown().catch(() => undefined);
    await admin.close();
    await accessWriter.flush();
  };

  try {
    const reserved = await reservePort(config.bind, config.inboundPort);
    const inboundPort = reserved.port;
    try {
      client = await startControlClient({
        controlUrl: config.controlUrl,
        joinToken: config.joinToken,
        stateDir: config.stateDir,
        self: { service: config.service, namespace: config.namespace, instanceId: config.instanceId, labels: config.labels },
        register: { address: config.advertiseAddress, port: inboundPort },
        log,
      });
    } catch (e) {
      await reserved.release();
      throw new StartupError(`${(e as Error)?.message ?? String(e)} (control: ${config.controlUrl})`);
    }
    await reserved.release();
    try {
      inbound = await startInbound({
        view: client,
        observer,
        host: config.bind,
        port: inboundPort,
        app: config.app,
        tlsRefused: (kind, reason, remote) => log({ level: 'warn', component: 'sidecar.mtls', msg: 'mutual TLS refused', kind, reason, remote }),
      });
    } catch (e) {
      throw describeListenError('inbound', config.bind, inboundPort, e);
    }
    try {
      outbound = await startOutbound({ view: client, observer, host: config.bind, port: config.outboundPort });
    } catch (e) {
      throw describeListenError('outbound', config.bind, config.outboundPort, e);
    }
  } catch (e) {
    await cleanup().catch(() => undefined);
    throw e;
  }

  const running = { client, inbound, outbound };
  log({
    level: 'info',
    msg: 'sidecar started',
    service: `${config.namespace}/${config.service}`,
    instanceId: config.instanceId,
    spiffeId: client.self.spiffeId,
    ports: { inbound: inbound.port, outbound: outbound.port, admin: admin.port },
    app: `${config.app.host}:${config.app.port}`,
    snapshot: client.status().snapshot,
    tracing: tracing !== null,
  });

  let stopping: Promise<void> | undefined;
  return {
    ports: { inbound: inbound.port, outbound: outbound.port, admin: admin.port },
    client,
    metrics,
    stop(graceMs: number) {
      stopping ??= (async () => {
        draining = true;
        const inFlight = running.inbound.inFlight() + running.outbound.inFlight();
        log({ level: 'info', msg: 'draining', inFlight, graceMs });
        const started = Date.now();
        await Promise.allSettled([running.inbound.close(graceMs), running.outbound.close(graceMs)]);
        await running.client.close().catch((e: unknown) => log({ level: 'warn', msg: 'control client close failed', error: String(e) }));
        await tracing?.shutdown().catch(() => undefined);
        await admin.close();
        log({ level: 'info', msg: 'stopped', drainedMs: Date.now() - started });
        await accessWriter.flush();
      })();
      return stopping;
    },
  };
}
