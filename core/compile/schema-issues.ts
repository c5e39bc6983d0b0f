// Turns zod issues into PolicyErrors that point at the YAML node and say what was expected.
import type { z } from 'zod';
import type { SourceDocument } from '../policy/document.ts';
import type { PathSegment, PolicyError } from '../policy/errors.ts';
import { formatFieldPath } from '../policy/errors.ts';

function describeIssue(issue: z.core.$ZodIssue): { path: PathSegment[]; message: string; at?: 'key' }[] {
  const path = issue.path.filter((p): p is PathSegment => typeof p !== 'symbol');
  if (issue.code === 'unrecognized_keys')
    return issue.keys.map((k) => ({ path: [...path, k], message: `unknown field "${k}"`, at: 'key' as const }));
  if (issue.code === 'invalid_type' && issue.message.endsWith('received undefined'))
    return [{ path, message: `required field is missing (expected ${issue.expected})` }];
  return [{ path, message: issue.message.replace(/^Invalid input: /, '') }];
}

export function schemaErrors(source: SourceDocument, issues: readonly z.core.$ZodIssue[]): PolicyError[] {
  return issues.flatMap(describeIssue).map(({ path, message, at }) => {
    const pos = source.locate(path, at);
    return { file: source.file, line: pos.line, column: pos.column, path: formatFieldPath(path), message, code: 'schema' };
  });
}
