// Retries that multiply: a rule that retries timeouts or 5xx repeats, on each try, every call
// its backend makes, and each of those calls may be retried again at its own hop. A request
// can then become the product of the tries along its chain of calls. Weft warns (never
// refuses) when that product passes MAX_TRIES, or when one rule alone does.
//
// Who calls whom is not in routing policy. Weft learns a call from A to B where an allow
// AccessPolicy on B names A's SPIFFE ID exactly (`from.principals`): the way a mesh states its
// call graph anyway. Without one, only the single-rule bound is checked. A retry of a connect
// failure never counts: nothing reached the upstream, so nothing behind it ran.
import type { CompileContext } from '../policy/compile-context.ts';
import type { TypedDocument } from '../policy/document.ts';
import type { PathSegment } from '../policy/errors.ts';
import type { MeshSpec } from '../policy/mesh/schema.ts';
import type { RouteSpec } from '../policy/route/schema.ts';
import type { CompiledRetries } from '../policy/shared/resilience.ts';
import { formatSpiffeId } from '../identity/spiffe-id.ts';
import type { SnapshotBody } from '../snapshot/types.ts';

/** Tries of one original request, across the hops of its chain, past which `weft validate` warns. */
export const MAX_TRIES = 4;

/**
 * How many times one call may be sent at a hop on a failure that reached the upstream (a
 * timeout, a reset, a status): attempts + 1 when a condition other than connect-failure
 * can fire, else 1.
 */
export function amplifyingTries(r: CompiledRetries): number {
  const reachesUpstream = r.retryOn.some((c) => c !== 'connect-failure' && (c !== 'retriable-status-codes' || r.statusCodes.length > 0));
  return r.attempts > 0 && reachesUpstream ? r.attempts + 1 : 1;
}

/** One hop of a chain: the rule a call went by and how often it may be tried. */
interface Hop {
  label: string;
  tries: number;
  /** Where its calls go: the rule's backends. */
  backends: string[];
  /** Where a warning about a chain that starts here points; null for the direct rule (the Mesh document says). */
  at: { doc: TypedDocument<unknown>; path: PathSegment[] } | null;
  /** The rule's retries are the Mesh defaults (it writes none). */
  inherited: boolean;
}

interface Chain {
  tries: number;
  hops: Hop[];
  /** It met a service already on the chain (a cycle) and stopped there: true only for that chain, so not memoized. */
  cut?: boolean;
}

/** Caller service id → the services it calls, from allow AccessPolicies naming callers exactly. */
function callGraph(body: SnapshotBody): Map<string, Set<string>> {
  const bySpiffeId = new Map<string, string>();
  for (const s of body.services) {
    try {
      bySpiffeId.set(formatSpiffeId(body.mesh.trustDomain, s.namespace, s.name), s.id);
    } catch {
      // a name that cannot be a SPIFFE ID has no caller identity to be named by
    }
  }
  const meshServicesOf = new Map(body.routes.map((r) => [r.id, r.meshServices]));
  const calls = new Map<string, Set<string>>();
  for (const p of body.accessPolicies) {
    if (p.action !== 'allow') continue;
    const callees = p.targets.flatMap((t) => (t.kind === 'Service' ? [t.id] : (meshServicesOf.get(t.id) ?? [])));
    for (const rule of p.rules)
      for (const principal of rule.from.principals ?? []) {
        const caller = bySpiffeId.get(principal);
        if (caller === undefined) continue;
        let set = calls.get(caller);
        if (!set) calls.set(caller, (set = new Set()));
        for (const callee of callees) if (callee !== caller) set.add(callee);
      }
  }
  return calls;
}

function ruleAt(doc: TypedDocument<RouteSpec> | undefined, index: number): Hop['at'] {
  if (!doc) return null;
  return { doc, path: ['spec', 'rules', index, ...(writesRetries(doc, index) ? ['retries'] : [])] };
}

function writesRetries(doc: TypedDocument<RouteSpec> | undefined, index: number): boolean {
  return doc?.spec.rules[index]?.retries !== undefined;
}

const triesText = (h: Hop) => `${h.tries} tries${h.inherited ? ', Mesh default' : ''}`;

export function checkRetryAmplification(body: SnapshotBody, ctx: Pick<CompileContext, 'routes' | 'warn'>, mesh: TypedDocument<MeshSpec> | undefined): void {
  const calls = callGraph(body);
  const hops: Hop[] = [];
  /** The rules a call to a service goes by: its mesh routes' rules, else the direct rule (Mesh defaults). */
  const governing = new Map<string, Hop[]>();
  for (const route of body.routes) {
    const doc = ctx.routes.get(route.id);
    route.rules.forEach((rule, i) => {
      const hop: Hop = {
        label: `${route.id}#${rule.name}`,
        tries: amplifyingTries(rule.retries),
        backends: rule.backends.map((b) => b.service),
        at: ruleAt(doc, i),
        inherited: !writesRetries(doc, i),
      };
      hops.push(hop);
      for (const s of route.meshServices) governing.set(s, [...(governing.get(s) ?? []), hop]);
    });
  }
  const defaults = amplifyingTries(body.mesh.defaults.retries);
  for (const s of body.services)
    if (!governing.has(s.id)) governing.set(s.id, [{ label: `${s.id} (no mesh route)`, tries: defaults, backends: [s.id], at: null, inherited: true }]);

  // The worst chain of calls a service's app makes. A call back into a service already on the
  // chain ends it there (each service counts once); a result that did not meet the chain is
  // the same from anywhere, so it is kept.
  const memo = new Map<string, Chain>();
  const onChain = new Set<string>();
  const fromService = (service: string): Chain => {
    const known = memo.get(service);
    if (known) return known;
    if (onChain.has(service)) return { tries: 1, hops: [], cut: true };
    onChain.add(service);
    let best: Chain = { tries: 1, hops: [] };
    let cut = false;
    for (const callee of calls.get(service) ?? []) {
      if (onChain.has(callee)) {
        cut = true;
        continue;
      }
      for (const hop of governing.get(callee) ?? []) {
        const chain = fromHop(hop);
        cut ||= chain.cut === true;
        if (chain.tries > best.tries) best = chain;
      }
    }
    onChain.delete(service);
    const result = { ...best, cut };
    if (!cut) memo.set(service, result);
    return result;
  };
  const fromHop = (hop: Hop): Chain => {
    let behind: Chain = { tries: 1, hops: [] };
    let cut = false;
    for (const b of new Set(hop.backends)) {
      const chain = fromService(b);
      cut ||= chain.cut === true;
      if (chain.tries > behind.tries) behind = chain;
    }
    return { tries: hop.tries * behind.tries, hops: [hop, ...behind.hops], cut };
  };

  const report = (hop: Hop, chain: Chain, fallback: { doc: TypedDocument<unknown>; path: PathSegment[] } | null) => {
    const at = hop.at ?? fallback;
    if (!at) return;
    const retrying = chain.hops.filter((h) => h.tries > 1);
    const message =
      retrying.length <= 1
        ? `${hop.label} (${triesText(hop)}) may send one request ${hop.tries} times on timeouts or errors the upstream answered (attempts + 1), more than ${MAX_TRIES}: each try repeats the work of every call behind it. Lower attempts, or retry connect failures only`
        : `retries multiply across hops: ${retrying.map((h) => `${h.label} (${triesText(h)})`).join(' → ')} may send the last call ${chain.tries} times for one request (more than ${MAX_TRIES}; calls known from AccessPolicy). Retry timeouts and 5xx at one hop only, the one nearest the failure; the others retry connect failures only`;
    ctx.warn(at.doc, at.path, message, 'retry-amplification');
  };

  for (const hop of hops) {
    if (hop.tries <= 1) continue;
    const chain = fromHop(hop);
    if (chain.tries > MAX_TRIES) report(hop, chain, null);
  }
  // The direct rules share one place to fix: the Mesh defaults; warned once, for the worst chain.
  if (defaults > 1 && mesh) {
    let worst: { hop: Hop; chain: Chain } | undefined;
    for (const list of governing.values())
      for (const hop of list)
        if (hop.at === null) {
          const chain = fromHop(hop);
          if (!worst || chain.tries > worst.chain.tries) worst = { hop, chain };
        }
    if (worst && worst.chain.tries > MAX_TRIES) report(worst.hop, worst.chain, { doc: mesh, path: ['spec', 'defaults', 'retries'] });
  }
}
