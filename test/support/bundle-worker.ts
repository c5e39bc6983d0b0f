// Bundles a Worker the way a deploy would (`wrangler deploy --dry-run --outdir`: esbuild, config
// validation, no account, no network) and returns the bundled script, for running it beside
// another Worker in Miniflare (tests, benchmarks).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export function bundleWorker(config: string, outdir: string): string {
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/wrangler/bin/wrangler.js'), 'deploy', '--dry-run', '--outdir', outdir, '--config', config], {
    cwd: ROOT,
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', WRANGLER_HIDE_BANNER: 'true', CI: 'true', NO_COLOR: '1' },
    encoding: 'utf8',
    timeout: 120_000,
  });
  const script = join(outdir, 'index.js');
  if (r.status !== 0 || !existsSync(script)) throw new Error(`bundling ${config} failed:\n${r.stdout}\n${r.stderr}`);
  return script;
}
