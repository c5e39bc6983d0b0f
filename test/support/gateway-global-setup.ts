// Global setup for the gateway's workerd tests: bundles the real control Worker (so the
// gateway's service binding reaches real control code) and starts the real upstream servers
// the gateway proxies to. Everything it starts, it stops.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startUpstream } from './upstream-server.ts';
import type { UpstreamServer } from './upstream-server.ts';

export const CONTROL_BUNDLE_DIR = resolve('.weft/build/control');

declare module 'vitest' {
  export interface ProvidedContext {
    upstreams: Record<string, number>;
  }
}

export function bundleControl(): void {
  const r = spawnSync(process.execPath, ['node_modules/wrangler/bin/wrangler.js', 'deploy', '--dry-run', '--outdir', CONTROL_BUNDLE_DIR, '--config', 'control/wrangler.toml'], {
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', WRANGLER_HIDE_BANNER: 'true', CI: 'true', NO_COLOR: '1' },
    encoding: 'utf8',
  });
  if (r.status !== 0 || !existsSync(resolve(CONTROL_BUNDLE_DIR, 'index.js'))) throw new Error(`bundling control failed:\n${r.stdout}\n${r.stderr}`);
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const servers: UpstreamServer[] = await Promise.all(['stable', 'canary', 'mirror'].map(startUpstream));
  project.provide('upstreams', Object.fromEntries(servers.map((s) => [s.name, s.port])));
  return async () => {
    await Promise.all(servers.map((s) => s.close()));
  };
}
