// core/ must run unchanged in workerd and Node: no node:* or bare Node built-in imports, no
// Workers-only modules, no imports from the adapters, and no Node-only globals.
import { readdir, readFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const CORE = resolve('core');
const NODE_BUILTINS = new Set(builtinModules.filter((m) => !m.startsWith('_')));

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await sourceFiles(p)));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
const NODE_GLOBAL = /(?<![.\w])(process|Buffer|require|__dirname|__filename)\s*[.(]/;

function violations(file: string, text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(IMPORT)) {
    const spec = (m[1] ?? m[2]) as string;
    const bare = spec.split('/')[0] as string;
    if (spec.startsWith('node:') || NODE_BUILTINS.has(spec) || NODE_BUILTINS.has(bare)) found.push(`imports Node built-in "${spec}"`);
    if (spec.startsWith('cloudflare:')) found.push(`imports Workers-only "${spec}"`);
    if (spec.startsWith('.') && !resolve(file, '..', spec).startsWith(CORE)) found.push(`imports "${spec}" from outside core/`);
  }
  const code = text.replace(/\/\/.*$/gm, '').replace(/\/\*[\s\S]*?\*\//g, '');
  const g = NODE_GLOBAL.exec(code);
  if (g) found.push(`uses Node global "${g[1]}"`);
  return found;
}

describe('core/ boundary', () => {
  it('the checker itself catches each kind of violation', () => {
    const f = join(CORE, 'x.ts');
    expect(violations(f, "import { readFile } from 'node:fs';")).toEqual(['imports Node built-in "node:fs"']);
    expect(violations(f, "import path from 'path';")).toEqual(['imports Node built-in "path"']);
    expect(violations(f, "import { env } from 'cloudflare:workers';")).toEqual(['imports Workers-only "cloudflare:workers"']);
    expect(violations(f, "import { x } from '../sidecar/x.ts';")).toEqual(['imports "../sidecar/x.ts" from outside core/']);
    expect(violations(f, 'const b = Buffer.from("x");')).toEqual(['uses Node global "Buffer"']);
    expect(violations(f, "import { z } from 'zod';\n// process.env is fine in a comment")).toEqual([]);
  });

  it('no core module imports Node or Workers-only modules or uses Node globals', async () => {
    const files = await sourceFiles(CORE);
    expect(files.length).toBeGreaterThan(20);
    const bad: string[] = [];
    for (const file of files) for (const v of violations(file, await readFile(file, 'utf8'))) bad.push(`${relative('.', file)}: ${v}`);
    expect(bad).toEqual([]);
  });
});
