// The form of the enforcement tables (core/policy/enforcement.ts collects them): for each
// field, per data plane, what enforces it, why nothing needs to, or that the compiler refuses it.
import type { CompileContext } from '../compile-context.ts';
import { refId } from '../compile-context.ts';
import type { TypedDocument } from '../document.ts';
import type { TargetRef } from './target-ref.ts';

export const PLANES = ['edge', 'mesh'] as const;
export type Plane = (typeof PLANES)[number];

/**
 * Who acts on a field: the `.name` of a stage function in that plane's stage list, or, off
 * the request path, `control` (the control plane uses it), `snapshot` (checked when a data
 * plane accepts a snapshot), `compiler` (structural: names, references, metadata),
 * `responseHeaderOps` (core/pipeline/response-header-ops.ts, which both adapters apply to the
 * response, after the stages), or `goldenMetrics` (core/telemetry/golden-metrics.ts, which
 * counts each request once it has ended).
 */
export type Handler = string;
export type NotApplicable = { notApplicable: string };
/**
 * The compiler refuses the field, with this text, where this plane cannot enforce it: always,
 * or (with `otherwise`) only where nothing else makes it hold; `otherwise` is what acts on it
 * in the cases the compiler lets through.
 */
export type Refused = { refused: string; otherwise?: Handler | NotApplicable };
export type Enforcer = Handler | NotApplicable | Refused;
export type FieldEnforcement = Record<Plane, Enforcer>;
/**
 * Keyed by field path: property names, `[]` after a list's name for its items
 * (`spec.rules[].retries`). An entry covers the fields under it unless they have their own.
 */
export type KindEnforcement = Readonly<Record<string, FieldEnforcement>>;

export const OFF_PATH_HANDLERS = ['control', 'snapshot', 'compiler', 'responseHeaderOps', 'goldenMetrics'] as const;

/** The same enforcer in both planes. */
export function both(e: Enforcer): FieldEnforcement {
  return { edge: e, mesh: e };
}

export function na(reason: string): NotApplicable {
  return { notApplicable: reason };
}

/** The Route targets of a policy that apply at the edge only (no mesh services): only the edge gateway enforces policies on them. */
export function edgeOnlyRouteTargets(ctx: Pick<CompileContext, 'routes'>, doc: TypedDocument<{ targetRefs: TargetRef[] }>): string[] {
  return doc.spec.targetRefs
    .filter((r) => r.kind === 'Route')
    .map((r) => refId(r.name, r.namespace, doc))
    .filter((id) => {
      const route = ctx.routes.get(id);
      return route !== undefined && route.spec.mesh === undefined;
    });
}
