// The compiler: policy documents → snapshot body. Schema per kind, duplicates, Mesh defaults,
// cross-references; every error collected with its source position, and warnings (legal
// but probably a mistake: identical route matches, retries that multiply across hops, a
// retry budget without a floor) beside them.
// Output is independent of file order: documents are sorted by kind, namespace and name.
import { z } from 'zod';
import { compileAccessPolicy } from '../policy/access-policy/compile.ts';
import type { AccessPolicySpec } from '../policy/access-policy/schema.ts';
import { compileAuthentication } from '../policy/authentication/compile.ts';
import type { AuthenticationSpec } from '../policy/authentication/schema.ts';
import type { CompileContext } from '../policy/compile-context.ts';
import { createErrorSink } from '../policy/compile-context.ts';
import type { SourceDocument, TypedDocument } from '../policy/document.ts';
import type { PolicyError } from '../policy/errors.ts';
import { sortPolicyErrors } from '../policy/errors.ts';
import { compileMesh, DEFAULT_MESH } from '../policy/mesh/compile.ts';
import type { MeshSpec } from '../policy/mesh/schema.ts';
import { compileRateLimit } from '../policy/rate-limit/compile.ts';
import type { RateLimitSpec } from '../policy/rate-limit/schema.ts';
import { findKind, POLICY_KINDS } from '../policy/registry.ts';
import { compileRoute } from '../policy/route/compile.ts';
import type { RouteSpec } from '../policy/route/schema.ts';
import { compileService } from '../policy/service/compile.ts';
import type { ServiceSpec } from '../policy/service/schema.ts';
import { API_VERSION, documentId } from '../policy/shared/envelope.ts';
import type { DocumentMeta } from '../policy/shared/envelope.ts';
import type { SnapshotBody } from '../snapshot/types.ts';
import { SNAPSHOT_API_VERSION } from '../snapshot/types.ts';
import { warnIdenticalMatches } from './identical-matches.ts';
import { checkRetryAmplification } from './retry-amplification.ts';
import { checkRetryBudgetFloor } from './retry-budget-floor.ts';
import { schemaErrors } from './schema-issues.ts';

/** `warnings`: legal policy that is probably a mistake; they never block a snapshot. */
export type CompileResult = { ok: true; body: SnapshotBody; documents: number; warnings: PolicyError[] } | { ok: false; errors: PolicyError[]; warnings: PolicyError[] };

const envelopeProbe = z.looseObject({ apiVersion: z.unknown(), kind: z.unknown() });

function checkEnvelope(source: SourceDocument, errors: PolicyError[]) {
  const at = (path: (string | number)[], message: string) => {
    const pos = source.locate(path);
    errors.push({ file: source.file, line: pos.line, column: pos.column, path: path.join('.'), message, code: 'schema' });
  };
  const probe = envelopeProbe.safeParse(source.value);
  if (!probe.success) return at([], 'expected a mapping with apiVersion, kind, metadata and spec');
  if (probe.data.apiVersion !== API_VERSION) return at(['apiVersion'], `expected apiVersion "${API_VERSION}", got ${JSON.stringify(probe.data.apiVersion ?? null)}`);
  const kind = findKind(probe.data.kind);
  if (!kind) return at(['kind'], `unknown kind ${JSON.stringify(probe.data.kind ?? null)}; expected one of ${POLICY_KINDS.map((k) => k.kind).join(', ')}`);
  return kind;
}

/** Schema-checks every document; returns the typed ones (sorted, duplicates reported). */
function typeDocuments(sources: readonly SourceDocument[], errors: PolicyError[]): TypedDocument<unknown>[] {
  const typed: TypedDocument<unknown>[] = [];
  for (const source of sources) {
    const kind = checkEnvelope(source, errors);
    if (!kind) continue;
    const parsed = kind.document.safeParse(source.value);
    if (!parsed.success) {
      errors.push(...schemaErrors(source, parsed.error.issues));
      continue;
    }
    const meta = parsed.data.metadata as DocumentMeta;
    typed.push({ source, kind: kind.kind, meta, spec: parsed.data.spec, id: documentId(meta) });
  }
  const rank = (k: string) => POLICY_KINDS.findIndex((p) => p.kind === k);
  typed.sort((a, b) => rank(a.kind) - rank(b.kind) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) || a.source.file.localeCompare(b.source.file) || a.source.index - b.source.index);
  const report = createErrorSink(errors);
  for (let i = 1; i < typed.length; i++) {
    const [prev, cur] = [typed[i - 1] as TypedDocument<unknown>, typed[i] as TypedDocument<unknown>];
    if (prev.kind === cur.kind && prev.id === cur.id) {
      const where = prev.source.locate([]);
      report(cur, ['metadata', 'name'], `duplicate ${cur.kind} "${cur.id}" (first defined at ${prev.source.file}:${where.line}:${where.column})`, 'duplicate');
    }
  }
  return typed.filter((d, i) => i === 0 || !(typed[i - 1]?.kind === d.kind && typed[i - 1]?.id === d.id));
}

function ofKind<S>(docs: TypedDocument<unknown>[], kind: string): TypedDocument<S>[] {
  return docs.filter((d) => d.kind === kind) as TypedDocument<S>[];
}

export function compileDocuments(sources: readonly SourceDocument[]): CompileResult {
  const errors: PolicyError[] = [];
  const warnings: PolicyError[] = [];
  const docs = typeDocuments(sources, errors);
  const report = createErrorSink(errors);
  const warn = createErrorSink(warnings);

  const meshes = ofKind<MeshSpec>(docs, 'Mesh');
  meshes.slice(1).forEach((m) => report(m, ['kind'], `only one Mesh document is allowed; "${meshes[0]?.id}" is already defined`, 'duplicate'));
  const services = ofKind<ServiceSpec>(docs, 'Service');
  const routes = ofKind<RouteSpec>(docs, 'Route');
  const authentications = ofKind<AuthenticationSpec>(docs, 'Authentication');
  const ctx: CompileContext = {
    mesh: meshes[0] ? compileMesh(meshes[0].spec) : DEFAULT_MESH,
    services: new Map(services.map((d) => [d.id, d])),
    routes: new Map(routes.map((d) => [d.id, d])),
    authentications,
    error: report,
    warn,
  };

  const claimed = new Map<string, string>();
  const body: SnapshotBody = {
    apiVersion: SNAPSHOT_API_VERSION,
    mesh: ctx.mesh,
    services: services.map((d) => compileService(d, ctx)),
    routes: routes.map((d) => compileRoute(d, ctx)),
    authentications: authentications.map((d) => compileAuthentication(d, ctx, claimed)),
    accessPolicies: ofKind<AccessPolicySpec>(docs, 'AccessPolicy').map((d) => compileAccessPolicy(d, ctx)),
    rateLimits: ofKind<RateLimitSpec>(docs, 'RateLimit').map((d) => compileRateLimit(d, ctx)),
  };
  warnIdenticalMatches(body.routes, ctx.routes, warn);
  checkRetryAmplification(body, ctx, meshes[0]);
  checkRetryBudgetFloor(body, ctx, meshes[0]);

  if (errors.length > 0) return { ok: false, errors: sortPolicyErrors(errors), warnings: sortPolicyErrors(warnings) };
  return { ok: true, body, documents: docs.length, warnings: sortPolicyErrors(warnings) };
}
