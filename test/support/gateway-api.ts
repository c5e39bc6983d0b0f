// Test support for `weft import/export gateway-api`: the fixture manifests, import run the way
// the command runs it (file names relative to the fixture folder), and the CLI in-process.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compileDocuments } from '../../core/compile/compile.ts';
import type { CompileResult } from '../../core/compile/compile.ts';
import { loadPolicyYaml } from '../../core/policy/load-yaml.ts';
import { importGatewayApi } from '../../cli/gateway-api/import.ts';
import type { ImportResult } from '../../cli/gateway-api/import.ts';
import { formatNote } from '../../cli/gateway-api/notes.ts';
import { documentsToYaml } from '../../cli/gateway-api/write-yaml.ts';
import { runCli } from '../../cli/main.ts';

export const FIXTURES = fileURLToPath(new URL('../fixtures/gateway-api/', import.meta.url));

/** Imports fixture files (paths relative to test/fixtures/gateway-api/, as notes show them). */
export function importFixtures(files: readonly string[]): ImportResult & { yaml: string; noteLines: string[] } {
  const result = importGatewayApi(files.map((file) => ({ file, text: readFileSync(`${FIXTURES}${file}`, 'utf8') })));
  return { ...result, yaml: documentsToYaml(result.documents), noteLines: result.notes.map(formatNote) };
}

/** Compiles Weft YAML texts (`{ name: text }`) as `weft validate` does. */
export function compileTexts(texts: Record<string, string>): CompileResult {
  const loaded = Object.entries(texts).map(([name, text]) => loadPolicyYaml(name, text));
  const errors = loaded.flatMap((l) => l.errors);
  const result = compileDocuments(loaded.flatMap((l) => l.documents));
  return errors.length === 0 ? result : { ok: false, errors: [...errors, ...(result.ok ? [] : result.errors)], warnings: result.warnings };
}

export interface InProcessResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs `weft ...args` in this process (the command functions, not a child process). */
export async function weftInProcess(args: string[]): Promise<InProcessResult> {
  const out: InProcessResult = { status: 0, stdout: '', stderr: '' };
  await runCli(args, {
    out: (t) => (out.stdout += t),
    err: (t) => (out.stderr += t),
    exit: (code) => (out.status = code),
  });
  return out;
}
