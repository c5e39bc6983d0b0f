// A note is one field that import or export could not carry over, and why: printed one per
// line as `file:line: Kind namespace/name path: message`, so a user can find each in the source.
import type { PathSegment, SourcePosition } from '../../core/policy/errors.ts';

export interface Note {
  file: string;
  line: number;
  /** `HTTPRoute gateway-conformance-infra/matching`, `Route default/api`. */
  object: string;
  /** Where in the object, as the user wrote it: `rules[0].filters[1] ExtensionRef`; '' for the whole object. */
  path: string;
  message: string;
}

/** `['spec', 'rules', 0, 'filters', 1]` → `rules[0].filters[1]` (the `spec.` every field has is left out). */
export function notePath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path[0] === 'spec' ? path.slice(1) : path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out;
}

export function formatNote(n: Note): string {
  return `${n.file}:${n.line}: ${n.object}${n.path ? ` ${n.path}` : ''}: ${n.message}`;
}

/** Stable order: by file and line; notes on one line keep the order they were made in. */
export function sortNotes(notes: readonly Note[]): Note[] {
  return notes
    .map((n, i) => ({ n, i }))
    .sort((a, b) => a.n.file.localeCompare(b.n.file) || a.n.line - b.n.line || a.i - b.i)
    .map(({ n }) => n);
}

/** Collects notes about one object of one source document. */
export interface NoteSink {
  /** `label` follows the path, e.g. the filter type: `rules[0].filters[1] ExtensionRef`. */
  note(path: readonly PathSegment[], message: string, label?: string): void;
}

export function noteSink(
  notes: Note[],
  file: string,
  object: string,
  locate: (path: readonly PathSegment[]) => SourcePosition,
): NoteSink {
  return {
    note(path, message, label) {
      const p = notePath(path);
      notes.push({ file, line: locate(path).line, object, path: label ? `${p} ${label}`.trim() : p, message });
    },
  };
}
