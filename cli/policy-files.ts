// Reads policy sources from the paths a user names: files, or folders walked recursively for
// *.yaml / *.yml, in a stable (sorted) order. Missing paths are errors, never skipped.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { SourceDocument } from '../core/policy/document.ts';
import type { PolicyError } from '../core/policy/errors.ts';
import { loadPolicyYaml } from '../core/policy/load-yaml.ts';

const YAML_FILE = /\.ya?ml$/i;

function ioError(file: string, message: string): PolicyError {
  return { file, line: 1, column: 1, path: '', message, code: 'io' };
}

async function listYamlFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const out: string[] = [];
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listYamlFiles(p)));
    else if (YAML_FILE.test(e.name)) out.push(p);
  }
  return out;
}

/** Every policy file under `dir` as `{ <path relative to dir>: <YAML text> }`: the body of a push. */
export async function policyFileTexts(dir: string): Promise<Record<string, string>> {
  const { texts, errors } = await readPolicyTexts([dir], dir);
  if (errors.length > 0) throw new Error(errors.map((e) => `${e.file}: ${e.message}`).join('\n'));
  return texts;
}

/** Paths as the user sees them: relative inside the working folder, absolute outside it. */
function displayPath(cwd: string, file: string): string {
  const rel = relative(cwd, file);
  return rel === '' || rel.startsWith('..') ? file : rel;
}

export interface PolicySources {
  files: string[];
  /** `{ <file as in files>: <YAML text> }`: the body of a push. */
  texts: Record<string, string>;
  documents: SourceDocument[];
  errors: PolicyError[];
}

export interface PolicyTexts {
  /** `{ <path as the user sees it>: <YAML text> }`, in the stable order files are read. */
  texts: Record<string, string>;
  /** Paths that are missing, unreadable, or folders without policy files. */
  errors: PolicyError[];
}

/** The policy files the paths name, read but not parsed (what a push sends); a file named twice is read once. */
export async function readPolicyTexts(paths: string[], cwd = process.cwd()): Promise<PolicyTexts> {
  const result: PolicyTexts = { texts: {}, errors: [] };
  for (const input of paths) {
    const display = displayPath(cwd, input);
    let files: string[];
    try {
      const s = await stat(input);
      files = s.isDirectory() ? await listYamlFiles(input) : [input];
      if (s.isDirectory() && files.length === 0) result.errors.push(ioError(display, 'no policy files (*.yaml, *.yml) in this folder'));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      result.errors.push(ioError(display, code === 'ENOENT' ? 'no such file or folder' : `cannot read: ${(e as Error).message}`));
      continue;
    }
    for (const file of files) {
      const name = displayPath(cwd, file);
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (e) {
        result.errors.push(ioError(name, `cannot read: ${(e as Error).message}`));
        continue;
      }
      result.texts[name] = text;
    }
  }
  return result;
}

/** The policy files the paths name, read and parsed: io errors, then each file's YAML errors. */
export async function readPolicySources(paths: string[], cwd = process.cwd()): Promise<PolicySources> {
  const documents: SourceDocument[] = [];
  const { texts, errors } = await readPolicyTexts(paths, cwd);
  for (const [name, text] of Object.entries(texts)) {
    const loaded = loadPolicyYaml(name, text);
    documents.push(...loaded.documents);
    errors.push(...loaded.errors);
  }
  return { files: Object.keys(texts), texts, documents, errors };
}
