// Bundles the sidecar for shipping: `npm run build:sidecar` → dist/weft-sidecar.mjs (+ lazily
// loaded chunks under dist/chunks/, e.g. tracing). One ESM file for Node 22 with its
// dependencies inlined, not minified, with a source map. Running the bundle instead of the .ts
// sources matters for memory: Node's type stripping alone costs tens of MB of RSS.
import { build } from 'esbuild';
import type { Metafile, Plugin } from 'esbuild';
import { readFile } from 'node:fs/promises';
import { isBuiltin } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Node built-ins through `require`, not `import`. An ESM import of a built-in makes its module
 * namespace, which reads every export, lazy ones included: `import 'node:http'` alone costs
 * about 11 MB of RSS more than `require('node:http')` on Node 22 (it loads Node's internal
 * fetch stack). Each built-in becomes a one-line CommonJS module that requires it.
 */
const builtinsViaRequire: Plugin = {
  name: 'builtins-via-require',
  setup(b) {
    b.onResolve({ filter: /^[a-z_:/]+$/ }, (args) => (args.namespace !== 'builtin-cjs' && isBuiltin(args.path) ? { path: args.path, namespace: 'builtin-cjs' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'builtin-cjs' }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.path)});`, loader: 'js' }));
  },
};

/**
 * undici's cookie helpers brand-check against `globalThis.Headers` as well as their own, at
 * load. Reading that global makes Node load its internal copy of undici (the one behind the
 * global fetch), about 10 MB of RSS, although the sidecar only uses the bundled undici. The
 * sidecar never passes Node's Headers to undici's cookie helpers, so the check keeps undici's own.
 */
const UNDICI_COOKIES = /node_modules[\\/]undici[\\/]lib[\\/]web[\\/]cookies[\\/]index\.js$/;
const undiciOwnHeadersOnly: Plugin = {
  name: 'undici-own-headers-only',
  setup(b) {
    b.onLoad({ filter: UNDICI_COOKIES }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      const patched = text.replace('[Headers, globalThis.Headers].filter(Boolean)', '[Headers]');
      return { contents: patched, loader: 'js' };
    });
  },
};

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
    plugins: [builtinsViaRequire, undiciOwnHeadersOnly],
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
