// Access decisions (the gateway's stage 5; sidecars make the same call for mesh traffic),
// with Istio AuthorizationPolicy semantics:
//   1. a deny policy on any of the targets matches → denied (naming the policy);
//   2. else no allow policy on the targets → allowed;
//   3. else allowed only if an allow policy matches.
// A policy matches if any rule matches (an allow policy with no rules matches nothing); a rule
// matches if each of from/to/when it sets matches; a field matches if any of its values does;
// `*` wildcards everywhere (principalMatches). A missing principal, request principal, claim
// or header never satisfies a rule that asks for one.
//
// Client IP: an address the adapter could not determine (null or unparseable) leaves
// ipBlocks/notIpBlocks undecidable; they are then read the restrictive way — such a rule
// matches in a deny policy and does not in an allow policy. IPv4-mapped IPv6 addresses
// (`::ffff:10.1.2.3`, as Node reports IPv4 peers on dual-stack sockets) count as IPv4.
//
// Paths: a deny rule's paths match case-insensitively (ASCII; everything else is
// percent-encoded by normalizePath), so a deny on `/admin/*` also stops `/ADMIN/x` on a
// backend that ignores case. Allow rules match case-sensitively: an allow never widens.
//
// Everything is compiled once per snapshot: CIDRs parsed, path patterns classified, policies
// indexed by target key, so a decision costs only the policies attached to the request's targets.
import { cidrContains, parseCidr, parseIp } from '../policy/shared/cidr.ts';
import type { Cidr } from '../policy/shared/cidr.ts';
import type { CompiledAccessPolicy, CompiledAccessRule } from '../policy/access-policy/compile.ts';
import { targetKey } from '../policy/shared/resolve-targets.ts';
import type { CompiledTarget } from '../policy/shared/resolve-targets.ts';
import { principalMatches } from '../identity/spiffe-id.ts';
import { claimValues, resolveClaim } from '../authn/claims.ts';

export interface AccessRequest {
  /** Caller workload SPIFFE ID (mesh, from its verified SVID); null at the edge or without mTLS. */
  principal: string | null;
  /** End user: `<iss>/<sub>` or `apikey/<name>`; null when anonymous. */
  requestPrincipal: string | null;
  clientIp: string | null;
  /** Host (edge) or service name (mesh). */
  host: string;
  method: string;
  /** Already normalized by normalizePath. */
  path: string;
  headers: { get(name: string): string | null };
  /** Verified JWT claims or API key claims; null when anonymous. */
  claims: Record<string, unknown> | null;
}

export type AccessDecision = { allowed: true; reason: string } | { allowed: false; policy: string; reason: string };

export interface AccessEvaluator {
  decide(targets: readonly CompiledTarget[], request: AccessRequest): AccessDecision;
}

type PathTest = (path: string) => boolean;

interface RuleProgram {
  principals: string[] | null;
  requestPrincipals: string[] | null;
  ipBlocks: Cidr[] | null;
  notIpBlocks: Cidr[] | null;
  hosts: string[] | null;
  methods: string[] | null;
  paths: PathTest[] | null;
  /** Whether `paths` test the lower-cased path (deny rules). */
  pathsFolded: boolean;
  when: ({ kind: 'claim'; name: string; values: string[] } | { kind: 'header'; name: string; values: string[] })[];
}

interface PolicyProgram {
  id: string;
  action: 'allow' | 'deny';
  rules: RuleProgram[];
  /** Position in the snapshot's list: decisions walk policies in a stable order. */
  order: number;
}

/** Request facts derived once per decision. */
interface Facts {
  request: AccessRequest;
  ip: Uint8Array | null;
  host: string;
  hostNoPort: string;
  method: string;
  /** The path lower-cased, for deny rules' paths; computed on first use. */
  foldedPath: string | null;
}

export function createAccessEvaluator(policies: readonly CompiledAccessPolicy[]): AccessEvaluator {
  const byTarget = new Map<string, PolicyProgram[]>();
  policies.forEach((policy, order) => {
    const program: PolicyProgram = { id: policy.id, action: policy.action, rules: policy.rules.map((r) => compileRule(r, policy.action)), order };
    for (const key of new Set(policy.targets.map(targetKey))) {
      const list = byTarget.get(key);
      if (list) list.push(program);
      else byTarget.set(key, [program]);
    }
  });

  return {
    decide(targets, request) {
      const seen = new Set<PolicyProgram>();
      const applicable: PolicyProgram[] = [];
      for (const t of targets)
        for (const p of byTarget.get(targetKey(t)) ?? [])
          if (!seen.has(p)) {
            seen.add(p);
            applicable.push(p);
          }
      if (applicable.length === 0) return { allowed: true, reason: 'no access policy applies' };
      applicable.sort((a, b) => a.order - b.order);
      const facts = factsOf(request);

      for (const p of applicable) {
        if (p.action !== 'deny') continue;
        const rule = p.rules.findIndex((r) => ruleMatches(r, facts, 'deny'));
        if (rule >= 0) return { allowed: false, policy: p.id, reason: `deny rule ${rule + 1} matches` };
      }
      const allows = applicable.filter((p) => p.action === 'allow');
      if (allows.length === 0) return { allowed: true, reason: 'no allow policy applies and no deny policy matches' };
      for (const p of allows) {
        const rule = p.rules.findIndex((r) => ruleMatches(r, facts, 'allow'));
        if (rule >= 0) return { allowed: true, reason: `allowed by AccessPolicy ${p.id} (rule ${rule + 1})` };
      }
      const first = allows[0] as PolicyProgram;
      return { allowed: false, policy: first.id, reason: `no allow rule matches (allow policies: ${allows.map((p) => p.id).join(', ')})` };
    },
  };
}

function compileRule(rule: CompiledAccessRule, action: 'allow' | 'deny'): RuleProgram {
  const fold = action === 'deny';
  const cidrs = (blocks: string[] | null): Cidr[] | null => (blocks === null ? null : blocks.flatMap((b) => parseCidr(b) ?? []));
  return {
    principals: rule.from.principals,
    requestPrincipals: rule.from.requestPrincipals,
    ipBlocks: cidrs(rule.from.ipBlocks),
    notIpBlocks: cidrs(rule.from.notIpBlocks),
    hosts: rule.to.hosts?.map(normalizeHost) ?? null,
    methods: rule.to.methods?.map((m) => m.toUpperCase()) ?? null,
    paths: rule.to.paths?.map((p) => compilePath(fold ? p.toLowerCase() : p)) ?? null,
    pathsFolded: fold,
    when: rule.when.map((c) => ('claim' in c ? { kind: 'claim', name: c.claim, values: c.values } : { kind: 'header', name: c.header.toLowerCase(), values: c.values })),
  };
}

/**
 * `*` → any path; `/prefix/*` → `/prefix` and everything below it, segment-wise (not
 * `/prefixes`); `*suffix` → paths ending in suffix; another `*` → wildcard; else exact.
 */
export function compilePath(pattern: string): PathTest {
  if (pattern === '*') return () => true;
  const stars = pattern.split('*').length - 1;
  if (stars === 1 && pattern.endsWith('/*')) {
    const base = pattern.slice(0, -2);
    const below = `${base}/`;
    return (path) => path === base || path.startsWith(below);
  }
  if (stars === 1 && pattern.startsWith('*')) {
    const suffix = pattern.slice(1);
    return (path) => path.endsWith(suffix);
  }
  if (stars > 0) return (path) => principalMatches(pattern, path);
  return (path) => path === pattern;
}

function normalizeHost(host: string): string {
  const lower = host.toLowerCase();
  return lower.endsWith('.') && lower.length > 1 ? lower.slice(0, -1) : lower;
}

function stripPort(host: string): string {
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end > 0 ? host.slice(0, end + 1) : host;
  }
  const colon = host.lastIndexOf(':');
  if (colon < 0 || host.indexOf(':') !== colon) return host; // no port, or a bare IPv6 literal
  return /^\d+$/.test(host.slice(colon + 1)) ? normalizeHost(host.slice(0, colon)) : host;
}

/** Client address as bytes; IPv4-mapped IPv6 becomes IPv4; brackets and zone ids are dropped. */
export function clientIpBytes(text: string | null): Uint8Array | null {
  if (text === null) return null;
  let t = text.trim();
  if (t.startsWith('[') && t.endsWith(']')) t = t.slice(1, -1);
  const zone = t.indexOf('%');
  if (zone >= 0) t = t.slice(0, zone);
  const bytes = parseIp(t);
  if (!bytes) return null;
  if (bytes.length === 16 && bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) return bytes.slice(12);
  return bytes;
}

function factsOf(request: AccessRequest): Facts {
  const host = normalizeHost(request.host);
  return { request, ip: clientIpBytes(request.clientIp), host, hostNoPort: stripPort(host), method: request.method.toUpperCase(), foldedPath: null };
}

function anyMatch(patterns: string[], value: string): boolean {
  return patterns.some((p) => principalMatches(p, value));
}

function ruleMatches(rule: RuleProgram, facts: Facts, action: 'allow' | 'deny'): boolean {
  const r = facts.request;
  if (rule.principals !== null && (r.principal === null || !anyMatch(rule.principals, r.principal))) return false;
  if (rule.requestPrincipals !== null && (r.requestPrincipal === null || !anyMatch(rule.requestPrincipals, r.requestPrincipal))) return false;
  if (rule.ipBlocks !== null || rule.notIpBlocks !== null) {
    // An unknown client address: undecidable, read the restrictive way (see the file comment).
    if (facts.ip === null) {
      if (action === 'allow') return false;
    } else {
      const ip = facts.ip;
      if (rule.ipBlocks !== null && !rule.ipBlocks.some((c) => cidrContains(c, ip))) return false;
      if (rule.notIpBlocks !== null && rule.notIpBlocks.some((c) => cidrContains(c, ip))) return false;
    }
  }
  if (rule.hosts !== null && !rule.hosts.some((h) => principalMatches(h, facts.host) || (facts.hostNoPort !== facts.host && principalMatches(h, facts.hostNoPort)))) return false;
  if (rule.methods !== null && !anyMatch(rule.methods, facts.method)) return false;
  if (rule.paths !== null) {
    const path = rule.pathsFolded ? (facts.foldedPath ??= r.path.toLowerCase()) : r.path;
    if (!rule.paths.some((test) => test(path))) return false;
  }
  for (const c of rule.when) {
    if (c.kind === 'header') {
      const value = r.headers.get(c.name);
      if (value === null || !anyMatch(c.values, value)) return false;
    } else {
      const values = claimValues(resolveClaim(r.claims, c.name));
      if (!values.some((v) => anyMatch(c.values, v))) return false;
    }
  }
  return true;
}
