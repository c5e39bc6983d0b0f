// RateLimit compile step: targets resolved, period in ms, burst defaulted to `requests`.
import type { CompileContext } from '../compile-context.ts';
import type { TypedDocument } from '../document.ts';
import { ms } from '../shared/duration.ts';
import { edgeOnlyRouteTargets } from '../shared/enforcement.ts';
import { resolveTargets } from '../shared/resolve-targets.ts';
import type { CompiledTarget } from '../shared/resolve-targets.ts';
import type { RateLimitSpec } from './schema.ts';

export type LimitKey = 'client-ip' | 'api-key' | 'principal' | 'request-principal' | { header: string } | { claim: string };

export interface CompiledLimit {
  name: string;
  key: LimitKey;
  requests: number;
  periodMs: number;
  burst: number;
  scope: 'local' | 'global';
}

export interface CompiledRateLimit {
  id: string;
  targets: CompiledTarget[];
  limits: CompiledLimit[];
}

/** Fields a data plane cannot enforce, refused (core/policy/rate-limit/enforcement.ts). */
export const REFUSED = {
  principalKeyAtEdge: 'the edge data plane cannot enforce key principal: callers of the edge gateway carry no mesh identity (SPIFFE ID), so the limit would count nothing',
} as const;

export function compileRateLimit(doc: TypedDocument<RateLimitSpec>, ctx: CompileContext): CompiledRateLimit {
  const targets = resolveTargets(ctx, doc);
  const [edgeOnly] = edgeOnlyRouteTargets(ctx, doc);
  doc.spec.limits.forEach((l, i) => {
    if (edgeOnly && l.key === 'principal')
      ctx.error(doc, ['spec', 'limits', i, 'key'], `${REFUSED.principalKeyAtEdge}, and Route "${edgeOnly}" applies at the edge only`, 'schema');
  });
  doc.spec.limits.forEach((l, i) => {
    const needs = l.key === 'api-key' ? 'apiKeys' : typeof l.key === 'object' && 'claim' in l.key ? 'jwt' : undefined;
    if (!needs) return;
    const covered = targets.every((t) => ctx.authentications.some((a) => a.spec[needs] && a.spec.targetRefs.some((r) => r.kind === t.kind && `${r.namespace ?? a.meta.namespace}/${r.name}` === t.id)));
    if (!covered)
      ctx.error(doc, ['spec', 'limits', i, 'key'], `key ${needs === 'apiKeys' ? 'api-key' : 'claim'} needs an Authentication with ${needs} on the same targets, or the key is never present`, 'reference');
  });
  return {
    id: doc.id,
    targets,
    limits: doc.spec.limits.map((l) => ({
      name: l.name,
      key: typeof l.key === 'string' ? l.key : 'header' in l.key ? { header: l.key.header.toLowerCase() } : { claim: l.key.claim },
      requests: l.requests,
      periodMs: ms(l.period),
      burst: l.burst ?? l.requests,
      scope: l.scope,
    })),
  };
}
