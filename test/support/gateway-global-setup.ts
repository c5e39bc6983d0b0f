// Global setup for the gateway's workerd tests: bundles the real control Worker (so the
// gateway's service binding reaches real control code) and starts the real upstream servers
// the gateway proxies to. Everything it starts, it stops.
import { resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
import { bundleWorker } from './bundle-worker.ts';
import { startUpstream } from './upstream-server.ts';
import type { UpstreamServer } from './upstream-server.ts';

export const CONTROL_BUNDLE_DIR = resolve('.weft/build/control');

declare module 'vitest' {
  export interface ProvidedContext {
    upstreams: Record<string, number>;
  }
}

export function bundleControl(): void {
  bundleWorker('control/wrangler.toml', CONTROL_BUNDLE_DIR);
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const servers: UpstreamServer[] = await Promise.all(['stable', 'canary', 'mirror'].map(startUpstream));
  project.provide('upstreams', Object.fromEntries(servers.map((s) => [s.name, s.port])));
  return async () => {
    await Promise.all(servers.map((s) => s.close()));
  };
}
