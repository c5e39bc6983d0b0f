// AccessPolicy compile step: targets resolved; principals, IP blocks and paths validated so a
// rule that could never match (an unnormalized path, a bad CIDR) is an error, not a silent gap.
import type { CompileContext } from '../compile-context.ts';
import type { TypedDocument } from '../document.ts';
import { parseCidr } from '../shared/cidr.ts';
import { edgeOnlyRouteTargets } from '../shared/enforcement.ts';
import { resolveTargets } from '../shared/resolve-targets.ts';
import type { CompiledTarget } from '../shared/resolve-targets.ts';
import { normalizePath } from '../../route/index.ts';
import type { AccessPolicySpec } from './schema.ts';

export interface CompiledAccessRule {
  from: { principals: string[] | null; requestPrincipals: string[] | null; ipBlocks: string[] | null; notIpBlocks: string[] | null };
  to: { hosts: string[] | null; methods: string[] | null; paths: string[] | null };
  when: ({ claim: string; values: string[] } | { header: string; values: string[] })[];
}

export interface CompiledAccessPolicy {
  id: string;
  targets: CompiledTarget[];
  action: 'allow' | 'deny';
  rules: CompiledAccessRule[];
}

/** Fields a data plane cannot enforce, refused (core/policy/access-policy/enforcement.ts). */
export const REFUSED = {
  principalsAtEdge: 'the edge data plane cannot enforce from.principals: callers of the edge gateway carry no mesh identity (SPIFFE ID)',
} as const;

export function compileAccessPolicy(doc: TypedDocument<AccessPolicySpec>, ctx: CompileContext): CompiledAccessPolicy {
  const [edgeOnly] = edgeOnlyRouteTargets(ctx, doc);
  const rules = doc.spec.rules.map((r, i): CompiledAccessRule => {
    const at = ['spec', 'rules', i];
    if (edgeOnly && r.from?.principals)
      ctx.error(doc, [...at, 'from', 'principals'], `${REFUSED.principalsAtEdge}, and Route "${edgeOnly}" applies at the edge only`, 'schema');
    r.from?.principals?.forEach((p, j) => {
      if (p !== '*' && !p.startsWith('spiffe://'))
        ctx.error(doc, [...at, 'from', 'principals', j], `expected a SPIFFE ID (spiffe://${ctx.mesh.trustDomain}/ns/<namespace>/sa/<service>) or *, got "${p}"`, 'schema');
    });
    for (const field of ['ipBlocks', 'notIpBlocks'] as const)
      r.from?.[field]?.forEach((b, j) => {
        if (!parseCidr(b)) ctx.error(doc, [...at, 'from', field, j], `expected an IP address or CIDR block such as 10.0.0.0/8 or 2001:db8::/32, got "${b}"`, 'schema');
      });
    r.to?.paths?.forEach((p, j) => {
      const literal = p.startsWith('*') ? `/${p.slice(1).replace(/^\//, '')}` : p.endsWith('*') ? p.slice(0, -1) || '/' : p;
      if (p === '*') return;
      if (!literal.startsWith('/')) return ctx.error(doc, [...at, 'to', 'paths', j], `expected a path starting with "/" (or "*suffix"), got "${p}"`, 'schema');
      const n = normalizePath(literal, { escapedSlashes: 'keep', semicolons: 'keep' });
      if (!n.ok || n.path !== literal)
        ctx.error(doc, [...at, 'to', 'paths', j], `path "${p}" is not in normalized form (requests are normalized before access checks, so it would never match)`, 'schema');
    });
    return {
      from: {
        principals: r.from?.principals ?? null,
        requestPrincipals: r.from?.requestPrincipals ?? null,
        ipBlocks: r.from?.ipBlocks ?? null,
        notIpBlocks: r.from?.notIpBlocks ?? null,
      },
      to: { hosts: r.to?.hosts?.map((h) => h.toLowerCase()) ?? null, methods: r.to?.methods ?? null, paths: r.to?.paths ?? null },
      when: (r.when ?? []).map((c) => (c.claim ? { claim: c.claim, values: c.values } : { header: (c.header as string).toLowerCase(), values: c.values })),
    };
  });
  return { id: doc.id, targets: resolveTargets(ctx, doc), action: doc.spec.action, rules };
}
