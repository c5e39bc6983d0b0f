// YAML loader: several documents per file, duplicate keys rejected, and every node's source
// position kept (the yaml package's ranges + LineCounter) so later errors can name file:line:col.
import { isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments } from 'yaml';
import type { Document, Node } from 'yaml';
import type { SourceDocument } from './document.ts';
import type { PathSegment, PolicyError, SourcePosition } from './errors.ts';

export interface LoadResult {
  documents: SourceDocument[];
  errors: PolicyError[];
}

function positionOf(lc: LineCounter, offset: number): SourcePosition {
  const { line, col } = lc.linePos(offset);
  return { line, column: col };
}

/** Walks `path` through the YAML node tree; returns the deepest node reached (key node for a missing value). */
function nodeAt(doc: Document, path: readonly PathSegment[], at: 'value' | 'key'): Node | undefined {
  let node: unknown = doc.contents;
  let last: Node | undefined = (doc.contents as Node | null) ?? undefined;
  for (const [i, seg] of path.entries()) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) return last;
      if (at === 'key' && i === path.length - 1) return pair.key as Node;
      if (pair.value === null || (isScalar(pair.value) && pair.value.value === null && !pair.value.range)) return pair.key as Node;
      last = pair.key as Node;
      node = pair.value;
      if (isScalar(node) || isMap(node) || isSeq(node)) last = node;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg];
      if (!item) return last;
      node = item;
      if (isScalar(node) || isMap(node) || isSeq(node)) last = node;
    } else return last;
  }
  return last;
}

function firstLine(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '');
}

export function loadPolicyYaml(file: string, text: string): LoadResult {
  const lineCounter = new LineCounter();
  const parsed = parseAllDocuments(text, { lineCounter, uniqueKeys: true, prettyErrors: false, strict: true });
  const result: LoadResult = { documents: [], errors: [] };
  const docs = Array.isArray(parsed) ? parsed : [];
  docs.forEach((doc, index) => {
    if (doc.errors.length > 0) {
      for (const e of doc.errors) {
        const pos = positionOf(lineCounter, e.pos[0]);
        result.errors.push({ file, line: pos.line, column: pos.column, path: '', message: `invalid YAML: ${firstLine(e.message)}`, code: 'yaml' });
      }
      return;
    }
    const value = doc.toJS({ maxAliasCount: 50 }) as unknown;
    if (value === null || value === undefined) return; // an empty document (e.g. a trailing `---`)
    const locate = (path: readonly PathSegment[], at: 'value' | 'key' = 'value') => {
      const node = nodeAt(doc, path, at);
      return positionOf(lineCounter, node?.range?.[0] ?? doc.range[0]);
    };
    result.documents.push({ file, index, value, locate });
  });
  return result;
}
