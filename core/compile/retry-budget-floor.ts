// A retry budget with no floor refuses every retry while few requests are in flight: with
// `percent` P, a retry needs 100/P requests in flight at once, so a quiet service (or one
// failing request at a time) never retries at all, however many `attempts` the rule asks
// for. Legal, and sometimes meant; warned so that it is never a surprise.
import type { CompileContext } from '../policy/compile-context.ts';
import type { TypedDocument } from '../policy/document.ts';
import type { MeshSpec } from '../policy/mesh/schema.ts';
import type { CompiledRetries } from '../policy/shared/resilience.ts';
import type { SnapshotBody } from '../snapshot/types.ts';

function floorless(r: CompiledRetries): boolean {
  return r.attempts > 0 && r.budget.minRetriesPerSecond === 0 && r.budget.percent < 100;
}

function message(r: CompiledRetries): string {
  const needed = r.budget.percent > 0 ? `${Math.ceil(100 / r.budget.percent)} requests in flight at once` : 'a budget above 0 %';
  return `this retry budget has no floor (minRetriesPerSecond: 0): a retry needs ${needed}, so at low traffic every retry is refused. Set minRetriesPerSecond (default 10) to keep retries for a quiet service`;
}

export function checkRetryBudgetFloor(body: SnapshotBody, ctx: Pick<CompileContext, 'routes' | 'warn'>, mesh: TypedDocument<MeshSpec> | undefined): void {
  let inherited = false;
  for (const route of body.routes) {
    const doc = ctx.routes.get(route.id);
    route.rules.forEach((rule, i) => {
      if (!floorless(rule.retries)) return;
      if (doc?.spec.rules[i]?.retries?.budget) ctx.warn(doc, ['spec', 'rules', i, 'retries', 'budget'], message(rule.retries), 'retry-budget');
      else inherited = true;
    });
  }
  // Rules that inherit the Mesh's budget are warned once, where it is written.
  const defaults = body.mesh.defaults.retries;
  if (mesh?.spec.defaults?.retries?.budget && (inherited || floorless(defaults)))
    ctx.warn(mesh, ['spec', 'defaults', 'retries', 'budget'], message(defaults), 'retry-budget');
}
