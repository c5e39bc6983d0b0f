// Authentication compile step: targets resolved, durations in ms, header names lower-cased.
// One Authentication per target: two would leave "required or optional?" undecided.
import type { CompileContext } from '../compile-context.ts';
import type { TypedDocument } from '../document.ts';
import { ms } from '../shared/duration.ts';
import { resolveTargets, targetKey } from '../shared/resolve-targets.ts';
import type { CompiledTarget } from '../shared/resolve-targets.ts';
import type { AuthenticationSpec } from './schema.ts';

export type TokenSource = { header: string; prefix: string } | { query: string } | { cookie: string };

export interface CompiledJwtProvider {
  name: string;
  issuer: string;
  jwksUri: string | null;
  jwks: { keys: Record<string, unknown>[] } | null;
  audiences: string[];
  algorithms: string[];
  clockSkewMs: number;
  from: TokenSource[];
  forwardClaims: { claim: string; header: string }[];
  forwardOriginalToken: boolean;
}

export interface CompiledAuthentication {
  id: string;
  targets: CompiledTarget[];
  mode: 'required' | 'optional';
  jwt: CompiledJwtProvider[];
  apiKeys: { from: TokenSource; keys: { name: string; sha256: string; claims: Record<string, string> }[] } | null;
}

/** Fields a data plane cannot enforce, refused (core/policy/authentication/enforcement.ts). */
export const REFUSED = {
  jwtInQuery:
    'neither the edge gateway nor the mesh sidecar can remove a token from the query string, so forwardOriginalToken: false cannot be enforced; read the token from a header or cookie, or set forwardOriginalToken: true',
  apiKeyInQuery:
    'neither the edge gateway nor the mesh sidecar can remove an API key from the query string, and a key is never forwarded upstream; read it from a header or cookie',
} as const;

type SourceSpec = { header: string; prefix?: string | undefined } | { query: string } | { cookie: string };

function compileSource(s: SourceSpec): TokenSource {
  return 'header' in s ? { header: s.header.toLowerCase(), prefix: s.prefix ?? '' } : s;
}

export function compileAuthentication(
  doc: TypedDocument<AuthenticationSpec>,
  ctx: CompileContext,
  claimed: Map<string, string>,
): CompiledAuthentication {
  const targets = resolveTargets(ctx, doc);
  targets.forEach((t, i) => {
    const other = claimed.get(targetKey(t));
    if (other && other !== doc.id)
      ctx.error(doc, ['spec', 'targetRefs', i], `${t.kind} "${t.id}" already has Authentication "${other}"; merge them into one`, 'conflict');
    claimed.set(targetKey(t), doc.id);
  });
  const issuers = new Set<string>();
  (doc.spec.jwt ?? []).forEach((p, i) => {
    if (issuers.has(p.issuer)) ctx.error(doc, ['spec', 'jwt', i, 'issuer'], `two providers for issuer "${p.issuer}"`, 'duplicate');
    issuers.add(p.issuer);
  });
  (doc.spec.jwt ?? []).forEach((p, i) => {
    if (p.forwardOriginalToken) return;
    p.from.forEach((f, j) => {
      if ('query' in f) ctx.error(doc, ['spec', 'jwt', i, 'from', j, 'query'], REFUSED.jwtInQuery, 'schema');
    });
  });
  if (doc.spec.apiKeys && 'query' in doc.spec.apiKeys.from) ctx.error(doc, ['spec', 'apiKeys', 'from', 'query'], REFUSED.apiKeyInQuery, 'schema');
  const hashes = new Set<string>();
  doc.spec.apiKeys?.keys.forEach((k, i) => {
    if (hashes.has(k.sha256)) ctx.error(doc, ['spec', 'apiKeys', 'keys', i, 'sha256'], `the same key hash appears twice`, 'duplicate');
    hashes.add(k.sha256);
  });
  return {
    id: doc.id,
    targets,
    mode: doc.spec.mode,
    jwt: (doc.spec.jwt ?? []).map((p) => ({
      name: p.name,
      issuer: p.issuer,
      jwksUri: p.jwksUri ?? null,
      jwks: p.jwks ?? null,
      audiences: p.audiences,
      algorithms: p.algorithms,
      clockSkewMs: ms(p.clockSkew),
      from: p.from.map(compileSource),
      forwardClaims: p.forwardClaims.map((f) => ({ claim: f.claim, header: f.header.toLowerCase() })),
      forwardOriginalToken: p.forwardOriginalToken,
    })),
    apiKeys: doc.spec.apiKeys
      ? { from: compileSource(doc.spec.apiKeys.from), keys: doc.spec.apiKeys.keys.map((k) => ({ name: k.name, sha256: k.sha256, claims: k.claims })) }
      : null,
  };
}
