// Resolves a policy's targetRefs against the Routes and Services of the snapshot.
import type { CompileContext } from '../compile-context.ts';
import { refId } from '../compile-context.ts';
import type { TypedDocument } from '../document.ts';
import type { TargetRef } from './target-ref.ts';

export interface CompiledTarget {
  kind: 'Route' | 'Service';
  /** `namespace/name`. */
  id: string;
}

export function resolveTargets(ctx: CompileContext, doc: TypedDocument<{ targetRefs: TargetRef[] }>): CompiledTarget[] {
  return doc.spec.targetRefs.map((ref, i) => {
    const id = refId(ref.name, ref.namespace, doc);
    const exists = ref.kind === 'Route' ? ctx.routes.has(id) : ctx.services.has(id);
    if (!exists) ctx.error(doc, ['spec', 'targetRefs', i, 'name'], `${ref.kind} "${id}" does not exist`);
    return { kind: ref.kind, id };
  });
}

export function targetKey(t: CompiledTarget): string {
  return `${t.kind}:${t.id}`;
}
