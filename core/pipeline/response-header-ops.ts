// The response header operations of the rule, then of the backend that answered (Gateway API
// per-backendRef filters), apply where the rule was routed: at the edge, and in the caller's
// sidecar outbound. The callee's inbound matched the same rule only to find the policies
// attached to it; applying the operations there too would apply them twice.
import { noHeaderOps } from '../http/header-ops.ts';
import type { CompiledHeaderOps } from '../policy/shared/header-ops.ts';
import type { PipelineContext } from './context.ts';

const NONE: readonly CompiledHeaderOps[] = [];

/** The operations to apply to the response, in order; empty when there is nothing to do. */
export function responseHeaderOps(c: PipelineContext): readonly CompiledHeaderOps[] {
  const rule = c.plane === 'inbound' ? undefined : c.match?.rule.responseHeaders;
  const backend = c.plane === 'inbound' ? undefined : c.backend?.responseHeaders;
  const withRule = rule !== undefined && !noHeaderOps(rule);
  const withBackend = backend !== undefined && !noHeaderOps(backend);
  if (withRule && withBackend) return [rule, backend];
  if (withRule) return [rule];
  if (withBackend) return [backend];
  return NONE;
}
