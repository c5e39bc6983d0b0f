// Shared by validate, compile and diff: read paths → compile → errors or a snapshot body.
import { compileDocuments } from '../core/compile/compile.ts';
import type { PolicyError } from '../core/policy/errors.ts';
import { sortPolicyErrors } from '../core/policy/errors.ts';
import type { SnapshotBody } from '../core/snapshot/types.ts';
import { readPolicySources } from './policy-files.ts';

export type CompiledSources =
  | { ok: true; body: SnapshotBody; files: string[]; texts: Record<string, string>; documents: number; warnings: PolicyError[] }
  | { ok: false; errors: PolicyError[]; files: string[]; warnings: PolicyError[] };

export async function compilePaths(paths: string[]): Promise<CompiledSources> {
  const sources = await readPolicySources(paths);
  const compiled = compileDocuments(sources.documents);
  const errors = sortPolicyErrors([...sources.errors, ...(compiled.ok ? [] : compiled.errors)]);
  if (errors.length > 0 || !compiled.ok) return { ok: false, errors, files: sources.files, warnings: compiled.warnings };
  return { ok: true, body: compiled.body, files: sources.files, texts: sources.texts, documents: compiled.documents, warnings: compiled.warnings };
}
