// Semantic diff between two snapshot bodies: what a reviewer needs to read in a pull request.
// Per document: added / removed / changed, with route rules compared by name, traffic weights
// shown as moves, and each security-relevant change marked loosened or tightened.
import type { SnapshotBody } from '../snapshot/types.ts';
import type { CompiledRoute, CompiledRule } from '../policy/route/compile.ts';
import { describeChange, jsonChanges, sameJson } from './json-changes.ts';
import { allowPresenceNotes, securityEffect } from './security-effect.ts';
import type { CompiledAccessPolicy } from '../policy/access-policy/compile.ts';
import type { Effect } from './security-effect.ts';

export type DocumentKind = 'Mesh' | 'Service' | 'Route' | 'Authentication' | 'AccessPolicy' | 'RateLimit';

export interface DocumentChange {
  kind: DocumentKind;
  id: string;
  change: 'added' | 'removed' | 'changed';
  /** Reviewer-readable lines, e.g. `rule jason: weight reviews/v2 100 → 50`. */
  details: string[];
  /** For authentication, access and rate-limit changes: does this let more or fewer requests through? */
  effect: Effect | null;
}

export interface SemanticDiff {
  changes: DocumentChange[];
  summary: { added: number; removed: number; changed: number; loosened: number; tightened: number };
}

type Identified = { id: string };

const SECTIONS: [DocumentKind, (b: SnapshotBody) => Identified[]][] = [
  ['Service', (b) => b.services],
  ['Route', (b) => b.routes],
  ['Authentication', (b) => b.authentications],
  ['AccessPolicy', (b) => b.accessPolicies],
  ['RateLimit', (b) => b.rateLimits],
];

function backendLabel(b: CompiledRule['backends'][number]): string {
  return b.subset ? `${b.service}/${b.subset}` : b.service;
}

/** A backend's share of the rule's traffic in percent (weights are relative), one decimal at most. */
function share(rule: CompiledRule, b: CompiledRule['backends'][number]): number {
  const total = rule.backends.reduce((n, x) => n + x.weight, 0);
  return total > 0 ? Math.round((b.weight / total) * 1000) / 10 : 0;
}

/** Traffic that moved between backends, as shares (weights are relative: 1 and 1 is 50% each). */
function weightMoves(before: CompiledRule, after: CompiledRule): string | undefined {
  const w = (r: CompiledRule) => new Map(r.backends.map((b) => [backendLabel(b), share(r, b)]));
  const [wb, wa] = [w(before), w(after)];
  const labels = [...new Set([...wb.keys(), ...wa.keys()])].sort();
  const moves = labels.filter((l) => wb.get(l) !== wa.get(l)).map((l) => `${l} ${wb.get(l) ?? 0}% → ${wa.get(l) ?? 0}%`);
  return moves.length > 0 ? `weights: ${moves.join(', ')}` : undefined;
}

function routeDetails(before: CompiledRoute, after: CompiledRoute): string[] {
  const out: string[] = [];
  for (const field of ['edgeHosts', 'meshServices'] as const) {
    const c = jsonChanges(before[field], after[field], field);
    out.push(...c.map(describeChange));
  }
  const rulesBefore = new Map(before.rules.map((r) => [r.name, r]));
  const rulesAfter = new Map(after.rules.map((r) => [r.name, r]));
  for (const [name, rule] of rulesAfter) {
    const old = rulesBefore.get(name);
    if (!old) {
      out.push(`+ rule ${name}: → ${rule.backends.map((b) => `${backendLabel(b)} ${share(rule, b)}%`).join(', ') || 'redirect'}`);
      continue;
    }
    const moves = weightMoves(old, rule);
    if (moves) out.push(`~ rule ${name}: ${moves}`);
    // The weights line already names every backend that came, went or changed share.
    const strip = (r: CompiledRule) => ({ ...r, backends: moves ? [] : r.backends });
    for (const c of jsonChanges(strip(old), strip(rule))) out.push(`~ rule ${name}: ${describeChange(c)}`);
  }
  for (const name of rulesBefore.keys()) if (!rulesAfter.has(name)) out.push(`- rule ${name}`);
  const order = (r: CompiledRoute) => r.rules.map((x) => x.name).join(',');
  if (out.length === 0 && order(before) !== order(after)) out.push(`~ rule order: ${order(before)} → ${order(after)}`);
  return out;
}

export function semanticDiff(before: SnapshotBody, after: SnapshotBody): SemanticDiff {
  const changes: DocumentChange[] = [];
  const meshChanges = jsonChanges(before.mesh, after.mesh);
  if (meshChanges.length > 0)
    changes.push({ kind: 'Mesh', id: 'mesh', change: 'changed', details: meshChanges.map(describeChange), effect: securityEffect('Mesh', before.mesh, after.mesh, before, after) });
  for (const [kind, list] of SECTIONS) {
    const b = new Map(list(before).map((d) => [d.id, d]));
    const a = new Map(list(after).map((d) => [d.id, d]));
    for (const id of [...new Set([...b.keys(), ...a.keys()])].sort()) {
      const [old, cur] = [b.get(id), a.get(id)];
      if (sameJson(old, cur)) continue;
      const change = !old ? 'added' : !cur ? 'removed' : 'changed';
      const details =
        change !== 'changed'
          ? kind === 'AccessPolicy'
            ? allowPresenceNotes((cur ?? old) as CompiledAccessPolicy, change === 'added' ? before : after, change === 'added')
            : []
          : kind === 'Route'
            ? routeDetails(old as CompiledRoute, cur as CompiledRoute)
            : jsonChanges(old, cur).map(describeChange);
      changes.push({ kind, id, change, details, effect: securityEffect(kind, old, cur, before, after) });
    }
  }
  const count = (f: (c: DocumentChange) => boolean) => changes.filter(f).length;
  return {
    changes,
    summary: {
      added: count((c) => c.change === 'added'),
      removed: count((c) => c.change === 'removed'),
      changed: count((c) => c.change === 'changed'),
      loosened: count((c) => c.effect === 'loosened'),
      tightened: count((c) => c.effect === 'tightened'),
    },
  };
}

const SIGN = { added: '+', removed: '-', changed: '~' } as const;

export function formatSemanticDiff(diff: SemanticDiff): string {
  if (diff.changes.length === 0) return 'No changes.\n';
  const lines: string[] = [];
  for (const c of diff.changes) {
    const effect = c.effect && c.effect !== 'neutral' ? `  [${c.effect.toUpperCase()}]` : '';
    lines.push(`${SIGN[c.change]} ${c.kind} ${c.id}${effect}`);
    for (const d of c.details) lines.push(`    ${d}`);
  }
  const s = diff.summary;
  lines.push('', `${s.added} added, ${s.removed} removed, ${s.changed} changed; ${s.loosened} loosened, ${s.tightened} tightened`);
  return `${lines.join('\n')}\n`;
}
