// What a push may carry: YAML files (`files`: name → text, errors then name file:line:col
// exactly as `weft validate` does) or plain JSON documents (`documents`), plus `metadata`.
// Never a compiled snapshot: control signs only what it compiled and validated itself.
import { compileDocuments } from '../../core/compile/compile.ts';
import { plainDocument } from '../../core/policy/document.ts';
import type { SourceDocument } from '../../core/policy/document.ts';
import { formatPolicyError, sortPolicyErrors } from '../../core/policy/errors.ts';
import type { PolicyError } from '../../core/policy/errors.ts';
import { loadPolicyYaml } from '../../core/policy/load-yaml.ts';
import { snapshotVersion } from '../../core/snapshot/build.ts';
import type { SnapshotBody } from '../../core/snapshot/types.ts';
import { HttpError } from '../http/http-error.ts';

export interface PushMetadata {
  commit?: string;
  author?: string;
  message?: string;
}

export interface PushInput {
  body: SnapshotBody;
  version: string;
  source: PushMetadata;
  /** `file:line:col: path: message` of each compile warning (never blocks the push). */
  warnings: string[];
}

function invalid(errors: PolicyError[]): HttpError {
  const sorted = sortPolicyErrors(errors);
  return new HttpError('invalid_policy', `${sorted.length} error${sorted.length === 1 ? '' : 's'}; nothing was applied. ${formatPolicyError(sorted[0] as PolicyError)}`, {
    errors: sorted,
    lines: sorted.map(formatPolicyError),
  });
}

function readMetadata(value: unknown): PushMetadata {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null) throw new HttpError('bad_request', 'metadata must be an object {commit, author, message}');
  const out: PushMetadata = {};
  for (const k of ['commit', 'author', 'message'] as const) {
    const v = (value as Record<string, unknown>)[k];
    if (v === undefined) continue;
    if (typeof v !== 'string' || v.length > 1000) throw new HttpError('bad_request', `metadata.${k} must be a string of at most 1000 characters`);
    out[k] = v;
  }
  return out;
}

function sourcesOf(body: Record<string, unknown>): { documents: SourceDocument[]; errors: PolicyError[] } {
  if (body.files !== undefined) {
    const files = body.files;
    if (typeof files !== 'object' || files === null || Array.isArray(files) || !Object.values(files).every((t) => typeof t === 'string'))
      throw new HttpError('bad_request', 'files must be an object mapping file names to YAML text');
    const loaded = Object.entries(files as Record<string, string>).map(([name, text]) => loadPolicyYaml(name, text));
    return { documents: loaded.flatMap((l) => l.documents), errors: loaded.flatMap((l) => l.errors) };
  }
  if (Array.isArray(body.documents)) return { documents: body.documents.map((d, i) => plainDocument(d, `documents[${i}]`, i)), errors: [] };
  throw new HttpError('bad_request', 'expected files (name → YAML text) or documents (array)');
}

export async function readPushInput(body: Record<string, unknown>): Promise<PushInput> {
  const source = readMetadata(body.metadata);
  if (body.snapshot !== undefined)
    throw new HttpError('bad_request', 'push policy documents (files or documents), not a compiled snapshot: control signs only what it compiled and validated itself');
  const { documents, errors } = sourcesOf(body);
  const compiled = compileDocuments(documents);
  const all = [...errors, ...(compiled.ok ? [] : compiled.errors)];
  if (all.length > 0 || !compiled.ok) throw invalid(all);
  return { body: compiled.body, version: await snapshotVersion(compiled.body), source, warnings: compiled.warnings.map(formatPolicyError) };
}
