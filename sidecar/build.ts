// Bundles the sidecar for shipping: `npm run build:sidecar` → dist/weft-sidecar.mjs (+ lazily
// loaded chunks under dist/chunks/, e.g. tracing). One ESM file for Node 22 with its
// dependencies inlined, not minified, with a source map. Running the bundle instead of the .ts
// sources matters for memory: Node's type stripping alone costs tens of MB of RSS.
import { build } from 'esbuild';
import type { Metafile, Plugin } from 'esbuild';
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
    b.onResolve({ filter: /^[a-z0-9_:/]+$/ }, (args) => (args.namespace !== 'builtin-cjs' && isBuiltin(args.path) ? { path: args.path, namespace: 'builtin-cjs' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'builtin-cjs' }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.path)});`, loader: 'js' }));
  },
};

/**
 * `undici` resolves to a shim with only what the sidecar uses: Pool (upstreams), Client (one
 * connection per WebSocket handshake, dispatched with the `upgrade` option: the dispatcher's
 * `upgrade()` helper stays stubbed, as it cannot pass a non-101 answer on), Agent (the
 * control client) and the dispatcher `request` API (control calls, mirrored requests), from
 * undici's own files (it has no `exports` map). Its index also loads fetch, WebSocket,
 * EventSource, the cache and mock agents and more. With the stubs below, about 4 MB less RSS
 * per running sidecar (idle 80 → 76 MB before any Node flags). The sources keep importing `'undici'` (tests run them under type
 * stripping with the whole package, and the types come from there). The dispatcher methods left
 * out throw a clear error rather than being silently missing; test/sidecar/bundle.test.ts
 * checks that every name the sidecar imports from undici is one of UNDICI_SHIM_EXPORTS.
 */
export const UNDICI_SHIM_EXPORTS = ['Agent', 'Client', 'Pool'] as const;
const UNDICI_SHIM = `'use strict'
const Dispatcher = require('undici/lib/dispatcher/dispatcher.js')
Dispatcher.prototype.request = require('undici/lib/api/api-request.js')
for (const name of ['stream', 'pipeline', 'upgrade', 'connect']) {
  Dispatcher.prototype[name] = function () {
    throw new Error('undici dispatcher.' + name + '() is not in the sidecar bundle: add it to the undici shim in sidecar/build.ts')
  }
}
module.exports.Agent = require('undici/lib/dispatcher/agent.js')
module.exports.Client = require('undici/lib/dispatcher/client.js')
module.exports.Pool = require('undici/lib/dispatcher/pool.js')
`;

/**
 * undici files the sidecar never runs, replaced by a module that throws if it ever is:
 * - client-h2.js: undici's HTTP/2 client, loaded by every Client but used only on a connection
 *   that negotiated h2 (`allowH2`, never set here: the sidecar's HTTP/2 upstreams are its own
 *   node:http2 pools, sidecar/proxy/h2-pool.ts). A throw there fails that connection.
 * - web/fetch/body.js: FormData request bodies (client-h1 requires it lazily), and with it most
 *   of undici's fetch internals (webidl, FormData parser, data: URLs; 100 KB of source, 0.5 MB of RSS). The sidecar sends
 *   buffers and streams only.
 */
const UNDICI_STUBS: { file: RegExp; contents: string }[] = [
  {
    file: /node_modules[\\/]undici[\\/]lib[\\/]dispatcher[\\/]client-h2\.js$/,
    contents: `module.exports = function connectH2 () {
  throw new Error('undici HTTP/2 is not in the Weft sidecar bundle (client-h2 is stubbed in sidecar/build.ts): HTTP/2 upstreams go through sidecar/proxy/h2-pool.ts')
}`,
  },
  {
    file: /node_modules[\\/]undici[\\/]lib[\\/]web[\\/]fetch[\\/]body\.js$/,
    contents: `module.exports.extractBody = function extractBody () {
  throw new Error('FormData request bodies are not in the Weft sidecar bundle (undici web/fetch/body is stubbed in sidecar/build.ts)')
}`,
  },
];

const undiciSlim: Plugin = {
  name: 'undici-slim',
  setup(b) {
    b.onResolve({ filter: /^undici$/ }, () => ({ path: 'undici', namespace: 'undici-shim' }));
    b.onLoad({ filter: /.*/, namespace: 'undici-shim' }, () => ({ contents: UNDICI_SHIM, loader: 'js', resolveDir: ROOT }));
    for (const stub of UNDICI_STUBS) b.onLoad({ filter: stub.file }, () => ({ contents: `'use strict'\n${stub.contents}\n`, loader: 'js' }));
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
    plugins: [builtinsViaRequire, undiciSlim],
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
