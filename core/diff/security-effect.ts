// Does a change let more requests through (loosened) or fewer (tightened)? Follows the
// enforcement semantics: deny wins; any allow policy on a target denies everything else, so
// removing the last allow policy OPENS the target and adding the first one closes it.
import type { CompiledAccessPolicy } from '../policy/access-policy/compile.ts';
import type { CompiledAuthentication } from '../policy/authentication/compile.ts';
import type { CompiledMesh } from '../policy/mesh/compile.ts';
import type { CompiledService } from '../policy/service/compile.ts';
import { effectiveMtlsMode } from '../policy/service/mtls-mode.ts';
import type { CompiledRateLimit } from '../policy/rate-limit/compile.ts';
import type { CompiledTarget } from '../policy/shared/resolve-targets.ts';
import type { SnapshotBody } from '../snapshot/types.ts';

export type Effect = 'loosened' | 'tightened' | 'mixed' | 'neutral';

function combine(effects: Effect[]): Effect {
  const set = new Set(effects.filter((e) => e !== 'neutral'));
  if (set.size === 0) return 'neutral';
  if (set.size === 1) return [...set][0] as Effect;
  return 'mixed';
}

const more = (b: number, a: number): Effect => (a > b ? 'loosened' : a < b ? 'tightened' : 'neutral');
const setGrows = (b: readonly unknown[] | null, a: readonly unknown[] | null): Effect => {
  // null = "any" (no restriction) for access rule fields.
  if (b === null && a === null) return 'neutral';
  if (b === null) return 'tightened';
  if (a === null) return 'loosened';
  const added = a.some((x) => !b.includes(x));
  const removed = b.some((x) => !a.includes(x));
  return added && removed ? 'mixed' : added ? 'loosened' : removed ? 'tightened' : 'neutral';
};

function invert(e: Effect): Effect {
  return e === 'loosened' ? 'tightened' : e === 'tightened' ? 'loosened' : e;
}

function otherAllows(body: SnapshotBody, target: CompiledTarget, except: string): boolean {
  return body.accessPolicies.some((p) => p.id !== except && p.action === 'allow' && p.targets.some((t) => t.kind === target.kind && t.id === target.id));
}

/** Reviewer notes for an allow policy that appears or disappears: which targets open or close. */
export function allowPresenceNotes(policy: CompiledAccessPolicy, body: SnapshotBody, added: boolean): string[] {
  if (policy.action !== 'allow') return [];
  return policy.targets
    .filter((t) => !otherAllows(body, t, policy.id))
    .map((t) =>
      added
        ? `${t.kind} ${t.id}: first allow policy, every request it does not allow is now denied`
        : `${t.kind} ${t.id}: no allow policy left, open to every caller`,
    );
}

/**
 * An allow policy appearing (or disappearing) acts per target: where it is the only allow it
 * closes (opens) the target; where other allows exist it widens (narrows) what they allow.
 */
function allowPolicyPresence(policy: CompiledAccessPolicy, body: SnapshotBody, added: boolean): Effect {
  return combine(
    policy.targets.map((t) => {
      const alone = !otherAllows(body, t, policy.id);
      return added === alone ? 'tightened' : 'loosened';
    }),
  );
}

function accessEffect(b: CompiledAccessPolicy | undefined, a: CompiledAccessPolicy | undefined, before: SnapshotBody, after: SnapshotBody): Effect {
  const policy = (a ?? b) as CompiledAccessPolicy;
  const allow = policy.action === 'allow';
  if (!b) return allow ? allowPolicyPresence(policy, before, true) : 'tightened';
  if (!a) return allow ? allowPolicyPresence(policy, after, false) : 'loosened';
  if (b.action !== a.action) return 'mixed';
  // More or broader rules: more requests match. For allow that loosens; for deny it tightens.
  const rules: Effect[] = [more(b.rules.length, a.rules.length)];
  a.rules.forEach((r, i) => {
    const old = b.rules[i];
    if (!old) return;
    rules.push(
      setGrows(old.from.principals, r.from.principals),
      setGrows(old.from.requestPrincipals, r.from.requestPrincipals),
      setGrows(old.from.ipBlocks, r.from.ipBlocks),
      // Excluded blocks work the other way: more exclusions, fewer matching requests.
      invert(setGrows(old.from.notIpBlocks ?? [], r.from.notIpBlocks ?? [])),
      setGrows(old.to.hosts, r.to.hosts),
      setGrows(old.to.methods, r.to.methods),
      setGrows(old.to.paths, r.to.paths),
      more(r.when.length, old.when.length),
    );
  });
  const matched = combine(rules);
  if (allow || matched === 'mixed' || matched === 'neutral') return matched === 'neutral' ? 'mixed' : matched;
  return matched === 'loosened' ? 'tightened' : 'loosened';
}

function authEffect(b: CompiledAuthentication | undefined, a: CompiledAuthentication | undefined): Effect {
  if (!b) return 'tightened';
  if (!a) return 'loosened';
  const effects: Effect[] = [];
  if (b.mode !== a.mode) effects.push(a.mode === 'optional' ? 'loosened' : 'tightened');
  effects.push(more(b.apiKeys?.keys.length ?? 0, a.apiKeys?.keys.length ?? 0), more(b.jwt.length, a.jwt.length));
  for (const p of a.jwt) {
    const old = b.jwt.find((x) => x.issuer === p.issuer);
    if (!old) continue;
    effects.push(old.audiences.length === 0 ? (p.audiences.length === 0 ? 'neutral' : 'tightened') : p.audiences.length === 0 ? 'loosened' : setGrows(old.audiences, p.audiences));
    effects.push(setGrows(old.algorithms, p.algorithms), more(old.clockSkewMs, p.clockSkewMs));
  }
  const c = combine(effects);
  return c === 'neutral' ? 'mixed' : c;
}

function rateEffect(b: CompiledRateLimit | undefined, a: CompiledRateLimit | undefined): Effect {
  if (!b) return 'tightened';
  if (!a) return 'loosened';
  const rate = (l: { requests: number; periodMs: number }) => l.requests / l.periodMs;
  const effects: Effect[] = [more(a.limits.length, b.limits.length)];
  for (const l of a.limits) {
    const old = b.limits.find((x) => x.name === l.name);
    if (old) effects.push(more(rate(old), rate(l)), more(old.burst, l.burst));
  }
  const c = combine(effects);
  return c === 'neutral' ? 'mixed' : c;
}

export function securityEffect(kind: string, before: unknown, after: unknown, bodyBefore: SnapshotBody, bodyAfter: SnapshotBody): Effect | null {
  switch (kind) {
    case 'AccessPolicy':
      return accessEffect(before as CompiledAccessPolicy | undefined, after as CompiledAccessPolicy | undefined, bodyBefore, bodyAfter);
    case 'Authentication':
      return authEffect(before as CompiledAuthentication | undefined, after as CompiledAuthentication | undefined);
    case 'RateLimit':
      return rateEffect(before as CompiledRateLimit | undefined, after as CompiledRateLimit | undefined);
    case 'Service': {
      // Only a change of the Service's own mTLS override counts here (a Mesh change is the
      // Mesh's line): what its sidecars now enforce inbound against what they did.
      const [b, a] = [before as CompiledService | undefined, after as CompiledService | undefined];
      if (!b || !a || b.mtls?.mode === a.mtls?.mode) return null;
      const [from, to] = [effectiveMtlsMode(bodyBefore.mesh, b), effectiveMtlsMode(bodyAfter.mesh, a)];
      return from === to ? null : to === 'permissive' ? 'loosened' : 'tightened';
    }
    case 'Mesh': {
      const [b, a] = [before as CompiledMesh, after as CompiledMesh];
      return b.mtls.mode === a.mtls.mode ? null : a.mtls.mode === 'permissive' ? 'loosened' : 'tightened';
    }
    default:
      return null;
  }
}
