// The policy boundary's one error type: where (file:line:col and field path) and what was
// expected. Every loader, schema and compiler error becomes one of these, and all of them
// are collected and reported together.

export interface SourcePosition {
  line: number;
  column: number;
}

export interface PolicyError {
  file: string;
  line: number;
  column: number;
  /** Field path inside the document, e.g. `spec.rules[0].backends[1].weight`; empty for the whole document. */
  path: string;
  message: string;
  /** Stable machine code: errors `yaml`, `schema`, `reference`, `conflict`, `duplicate`, `io`; warnings, e.g. `identical-match`. */
  code: string;
}

export type PathSegment = string | number;

/** `['spec', 'rules', 0, 'backends']` → `spec.rules[0].backends`. */
export function formatFieldPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out;
}

/** `file:line:col: path: message` — the form editors and CI annotations link to. */
export function formatPolicyError(e: PolicyError): string {
  const where = `${e.file}:${e.line}:${e.column}`;
  return e.path ? `${where}: ${e.path}: ${e.message}` : `${where}: ${e.message}`;
}

/** Stable order for reports: by file, then position, then message. */
export function sortPolicyErrors(errors: PolicyError[]): PolicyError[] {
  return [...errors].sort(
    (a, b) =>
      a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column || a.message.localeCompare(b.message),
  );
}
