// Bundles the sidecar for shipping: `npm run build:sidecar` → dist/weft-sidecar.mjs (+ lazily
// loaded chunks under dist/chunks/, e.g. tracing). One ESM file for Node 22 with its
// dependencies inlined, not minified, with a source map. Running the bundle instead of the .ts
// sources matters for memory: Node's type stripping alone costs tens of MB of RSS.
import { build } from 'esbuild';
import type { Metafile } from 'esbuild';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export async function buildSidecarBundle(outdir = join(ROOT, 'dist')): Promise<{ entry: string; metafile: Metafile }> {
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: { 'weft-sidecar': join(ROOT, 'sidecar/main.ts') },
    outdir,
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    minify: false,
    sourcemap: true,
    metafile: true,
    legalComments: 'linked',
    logLevel: 'warning',
    // CommonJS dependencies (prom-client) require Node built-ins; ESM has no `require` of its own.
    banner: { js: "import { createRequire as __weftCreateRequire } from 'node:module'; const require = __weftCreateRequire(import.meta.url);" },
  });
  return { entry: join(outdir, 'weft-sidecar.mjs'), metafile: result.metafile };
}

if (import.meta.main) {
  const { entry, metafile } = await buildSidecarBundle();
  const bytes = Object.entries(metafile.outputs).filter(([f]) => f.endsWith('.mjs')).reduce((n, [, o]) => n + o.bytes, 0);
  process.stdout.write(`built ${entry} (${(bytes / 1024).toFixed(0)} KiB of JavaScript)\n`);
}
