// A policy document as the loader hands it to the compiler: the parsed value plus where it
// came from, so any later error can name file:line:col.
import type { PathSegment, SourcePosition } from './errors.ts';
import type { DocumentMeta } from './shared/envelope.ts';

export interface SourceDocument {
  file: string;
  /** Index of the document within its file (0-based). */
  index: number;
  value: unknown;
  /**
   * Position of the node at `path`, or of its nearest existing ancestor. With `at: 'key'`,
   * the position of the key itself (for "unknown field" errors), not of its value.
   */
  locate(path: readonly PathSegment[], at?: 'value' | 'key'): SourcePosition;
}

/** A document that passed its kind's schema. */
export interface TypedDocument<Spec> {
  source: SourceDocument;
  kind: string;
  meta: DocumentMeta;
  spec: Spec;
  /** `namespace/name`. */
  id: string;
}

/** Wraps plain data (JSON from an API or a test) as a SourceDocument without line info. */
export function plainDocument(value: unknown, file = '<input>', index = 0): SourceDocument {
  return { file, index, value, locate: () => ({ line: 1, column: 1 }) };
}
