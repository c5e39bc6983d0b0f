// What a kind's compile step gets: the other documents to check references against, the
// compiled Mesh for defaults, and one place to report errors and one for warnings (all
// collected, none thrown; a warning never stops a snapshot).
import type { TypedDocument } from './document.ts';
import type { PathSegment, PolicyError } from './errors.ts';
import { formatFieldPath } from './errors.ts';
import type { CompiledMesh } from './mesh/compile.ts';
import type { ServiceSpec } from './service/schema.ts';
import type { RouteSpec } from './route/schema.ts';
import type { AuthenticationSpec } from './authentication/schema.ts';

export interface CompileContext {
  mesh: CompiledMesh;
  services: ReadonlyMap<string, TypedDocument<ServiceSpec>>;
  routes: ReadonlyMap<string, TypedDocument<RouteSpec>>;
  authentications: readonly TypedDocument<AuthenticationSpec>[];
  error(doc: TypedDocument<unknown>, path: readonly PathSegment[], message: string, code?: string): void;
  /** Something legal that is probably a mistake (a rule that can never win): reported, never refused. */
  warn(doc: TypedDocument<unknown>, path: readonly PathSegment[], message: string, code?: string): void;
}

export function createErrorSink(errors: PolicyError[]) {
  return (doc: { source: TypedDocument<unknown>['source'] }, path: readonly PathSegment[], message: string, code = 'reference') => {
    const pos = doc.source.locate(path);
    errors.push({ file: doc.source.file, line: pos.line, column: pos.column, path: formatFieldPath(path), message, code });
  };
}

/** Resolves a name written in a document to a `namespace/name` id (same namespace by default). */
export function refId(name: string, namespace: string | undefined, from: TypedDocument<unknown>): string {
  return `${namespace ?? from.meta.namespace}/${name}`;
}
