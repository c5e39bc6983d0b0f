// Global setup for the gateway's workerd tests: bundles the real control Worker (so the
// gateway's service binding reaches real control code) and starts the real upstream servers
// the gateway proxies to (HTTP echo servers, a `ws` WebSocket echo app), and a gRPC app behind
// a real sidecar inbound (`greeter`: grpc-js over h2c behind an inbound that bridges gRPC-Web,
// what a `protocol: grpc` Service's endpoint is). Everything it starts, it stops.
import { resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
import { bundleWorker } from './bundle-worker.ts';
import { startInbound } from '../../sidecar/proxy/inbound.ts';
import { doc } from './compile-yaml.ts';
import { startGreeter } from './grpc-greeter.ts';
import { createMeshKeys, fixedSidecarView, meshYaml, RecordingObserver } from './sidecar-fixture.ts';
import { startUpstream } from './upstream-server.ts';
import type { UpstreamServer } from './upstream-server.ts';
import { startWebSocketEcho } from './websocket-echo.ts';
import { INFRA_BACKENDS } from '../conformance/gateway-api/policy.ts';

export const CONTROL_BUNDLE_DIR = resolve('.weft/build/control');

declare module 'vitest' {
  export interface ProvidedContext {
    upstreams: Record<string, number>;
  }
}

/**
 * A grpc-js Greeter behind a sidecar inbound (permissive: the gateway calls it in plaintext). The
 * inbound trusts the JWT-SVIDs of this run's control (its signing key, from vitest.config.ts).
 */
async function startGreeterBehindInbound(): Promise<{ port: number; close(): Promise<void> }> {
  const app = await startGreeter('edge-greeter');
  const policy = [meshYaml('permissive'), doc('Service', 'greeter', 'port: 50051\nprotocol: grpc')].join('---\n');
  const keys = await createMeshKeys();
  const controlKeys = JSON.parse(process.env.WEFT_TEST_CONTROL_SIGNING_KEYS ?? '[]') as Record<string, unknown>[];
  keys.bundle.jwks = { keys: controlKeys.map(({ d: _d, status: _status, ...pub }) => pub) };
  const view = await fixedSidecarView({ keys, policy, service: 'greeter' });
  const inbound = await startInbound({ view, observer: new RecordingObserver(), port: 0, app: { host: '127.0.0.1', port: app.port } });
  return { port: inbound.port, close: () => inbound.close(100).then(() => app.close()) };
}

export function bundleControl(): void {
  bundleWorker('control/wrangler.toml', CONTROL_BUNDLE_DIR);
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // `infra-backend-v1…v3` are the Gateway API conformance cases' backends (test/conformance/gateway-api/);
  // `shadow` is gateway-route-actions.test.ts's alone: no other file resets its log.
  const servers: UpstreamServer[] = await Promise.all(['stable', 'canary', 'mirror', 'shadow', ...INFRA_BACKENDS].map(startUpstream));
  const ws = await startWebSocketEcho();
  servers.push({ name: 'websocket', port: ws.port, close: () => ws.close() });
  const greeter = await startGreeterBehindInbound();
  project.provide('upstreams', { ...Object.fromEntries(servers.map((s) => [s.name, s.port])), greeter: greeter.port });
  return async () => {
    await Promise.all([...servers.map((s) => s.close()), greeter.close()]);
  };
}
