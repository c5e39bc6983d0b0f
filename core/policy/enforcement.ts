// "No policy without an enforcer", as data: for every field of every kind, what enforces it
// in each data plane. Each kind's table is in core/policy/<kind>/enforcement.ts; this file
// collects them, adds the envelope every kind shares, and renders the table for
// docs/policies.md. core/policy/enforcement.test.ts walks the zod schemas and the stage
// lists (core/pipeline/pipelines.ts) so that no field is missing and no name is made up.
import { accessPolicyEnforcement } from './access-policy/enforcement.ts';
import { authenticationEnforcement } from './authentication/enforcement.ts';
import { meshEnforcement } from './mesh/enforcement.ts';
import { rateLimitEnforcement } from './rate-limit/enforcement.ts';
import type { PolicyKindName } from './registry.ts';
import { routeEnforcement } from './route/enforcement.ts';
import { serviceEnforcement } from './service/enforcement.ts';
import { both } from './shared/enforcement.ts';
import type { Enforcer, FieldEnforcement, KindEnforcement } from './shared/enforcement.ts';

export * from './shared/enforcement.ts';

const ENVELOPE: KindEnforcement = {
  apiVersion: both('compiler'),
  kind: both('compiler'),
  metadata: both('compiler'),
};

export const ENFORCEMENT: Readonly<Record<PolicyKindName, KindEnforcement>> = {
  Mesh: { ...ENVELOPE, ...meshEnforcement },
  Service: { ...ENVELOPE, ...serviceEnforcement },
  Route: { ...ENVELOPE, ...routeEnforcement },
  Authentication: { ...ENVELOPE, ...authenticationEnforcement },
  AccessPolicy: { ...ENVELOPE, ...accessPolicyEnforcement },
  RateLimit: { ...ENVELOPE, ...rateLimitEnforcement },
};

/** The entry that governs `path` (its own, else its nearest ancestor's), with the path it was written for. */
export function enforcementOf(kind: PolicyKindName, path: string): { at: string; entry: FieldEnforcement } | undefined {
  const table = ENFORCEMENT[kind];
  for (let p = path; p !== ''; p = parentPath(p)) {
    const entry = table[p];
    if (entry) return { at: p, entry };
  }
  return undefined;
}

/** `spec.jwt[].from[].header` → `spec.jwt[].from[]` → `spec.jwt[].from` → `spec.jwt[]` → … → ``. */
export function parentPath(path: string): string {
  return path.endsWith('[]') ? path.slice(0, -2) : path.slice(0, Math.max(0, path.lastIndexOf('.')));
}

const OFF_PATH_WORDS: Record<string, string> = {
  control: 'control plane',
  snapshot: 'snapshot acceptance',
  compiler: 'compiler (structural)',
  responseHeaderOps: '`responseHeaderOps` (on the response)',
  goldenMetrics: 'golden metrics (once the request has ended)',
};

function cell(e: Enforcer): string {
  if (typeof e === 'string') return OFF_PATH_WORDS[e] ?? `\`${e}\``;
  if ('notApplicable' in e) return `not applicable: ${e.notApplicable}`;
  return `**refused**: ${e.refused}${e.otherwise ? `; otherwise ${cell(e.otherwise)}` : ''}`;
}

/** The "Which data plane enforces what" tables of docs/policies.md, one per kind. */
export function enforcementMarkdown(): string {
  const out: string[] = [];
  for (const [kind, table] of Object.entries(ENFORCEMENT)) {
    out.push(`### ${kind}`, '', '| field | edge | mesh |', '|---|---|---|');
    for (const [path, e] of Object.entries(table)) {
      // A long reason shared by both planes is written once.
      const mesh = typeof e.mesh === 'object' && JSON.stringify(e.mesh) === JSON.stringify(e.edge) ? 'same as edge' : cell(e.mesh);
      out.push(`| \`${path}\` | ${cell(e.edge).replace(/\|/g, '\\|')} | ${mesh.replace(/\|/g, '\\|')} |`);
    }
    out.push('');
  }
  return out.join('\n');
}
