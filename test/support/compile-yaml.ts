// Test support: compile policy YAML text in-process and read errors as the CLI prints them.
import { compileDocuments } from '../../core/compile/compile.ts';
import type { CompileResult } from '../../core/compile/compile.ts';
import { formatPolicyError } from '../../core/policy/errors.ts';
import { loadPolicyYaml } from '../../core/policy/load-yaml.ts';

/** Compiles one or more YAML files given as `{ name: text }` (or one text as `test.yaml`). */
export function compileYaml(files: string | Record<string, string>): CompileResult {
  const entries = typeof files === 'string' ? [['test.yaml', files] as const] : Object.entries(files);
  const loaded = entries.map(([name, text]) => loadPolicyYaml(name, text));
  const loadErrors = loaded.flatMap((l) => l.errors);
  const result = compileDocuments(loaded.flatMap((l) => l.documents));
  if (loadErrors.length === 0) return result;
  return { ok: false, errors: [...loadErrors, ...(result.ok ? [] : result.errors)], warnings: result.warnings };
}

/** The errors as `file:line:col: path: message` lines; [] when the input compiled. */
export function errorLines(files: string | Record<string, string>): string[] {
  const r = compileYaml(files);
  return r.ok ? [] : r.errors.map(formatPolicyError);
}

/** The warnings as `file:line:col: path: message` lines, whether or not the input compiled. */
export function warningLines(files: string | Record<string, string>): string[] {
  return compileYaml(files).warnings.map(formatPolicyError);
}

/** Compiles input that must be valid; fails the test with the errors otherwise. */
export function compileValid(files: string | Record<string, string>) {
  const r = compileYaml(files);
  if (!r.ok) throw new Error(`expected valid policy, got:\n${r.errors.map(formatPolicyError).join('\n')}`);
  return r.body;
}

/** A header for a document of `kind` named `name`. */
export function doc(kind: string, name: string, spec: string): string {
  return `apiVersion: weft/v1\nkind: ${kind}\nmetadata:\n  name: ${name}\nspec:\n${spec.replace(/^/gm, '  ')}\n`;
}
