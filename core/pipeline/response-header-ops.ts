// The rule's response header operations apply where the rule was routed: at the edge, and in
// the caller's sidecar outbound. The callee's inbound matched the same rule only to find the
// policies attached to it; applying the operations there too would apply them twice.
import type { CompiledHeaderOps } from '../policy/shared/header-ops.ts';
import type { PipelineContext } from './context.ts';

export function responseHeaderOps(c: PipelineContext): CompiledHeaderOps | null {
  return c.plane === 'inbound' ? null : (c.match?.rule.responseHeaders ?? null);
}
