// Documents as multi-document YAML, each under a comment that says where it came from.
import { Document, isNode, isScalar, visit } from 'yaml';

export interface CommentedDocument {
  comment: string;
  document: unknown;
}

export function documentsToYaml(docs: readonly CommentedDocument[], header?: string): string {
  const parts = docs.map((d) => {
    const doc = new Document(d.document, { aliasDuplicateObjects: false });
    // Lists of plain values (hosts, methods, status codes) read best on one line.
    visit(doc, {
      Seq(_, node) {
        if (node.items.length > 0 && node.items.every((i) => isScalar(i))) node.flow = true;
      },
    });
    // On the top mapping, not the document: the comment then sits right above `apiVersion`.
    if (isNode(doc.contents)) doc.contents.commentBefore = d.comment;
    return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
  });
  const top = header ? `${header.replace(/^/gm, '# ')}\n` : '';
  return top + parts.map((p, i) => (i === 0 ? p : `---\n${p}`)).join('');
}
