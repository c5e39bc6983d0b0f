// Properties of access decisions on random policy sets and requests (small vocabularies so
// rules and requests collide often): a deny policy can only take access away, an allow rule
// added where allow policies already apply can only give it, and the order policies come in
// never changes whether a request is allowed; a deny that stops a path stops every case
// variant of it.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CompiledAccessPolicy, CompiledAccessRule } from '../policy/access-policy/compile.ts';
import type { CompiledTarget } from '../policy/shared/resolve-targets.ts';
import { createAccessEvaluator } from './compile-access.ts';
import type { AccessRequest } from './compile-access.ts';

const TARGETS: CompiledTarget[] = [
  { kind: 'Route', id: 'default/api' },
  { kind: 'Service', id: 'default/reviews' },
  { kind: 'Service', id: 'shop/cart' },
];

const PRINCIPALS = ['spiffe://weft.local/ns/shop/sa/web', 'spiffe://weft.local/ns/shop/sa/cart', 'spiffe://weft.local/ns/billing/sa/api'];
const PRINCIPAL_PATTERNS = [...PRINCIPALS, 'spiffe://weft.local/ns/shop/sa/*', '*', 'spiffe://other.domain/*'];
const REQUEST_PRINCIPALS = ['https://idp.example.com//alice', 'https://idp.example.com//bob', 'apikey/acme'];
const REQUEST_PRINCIPAL_PATTERNS = [...REQUEST_PRINCIPALS, 'https://idp.example.com/*', 'apikey/*', '*'];
const IPS = ['10.1.2.3', '10.66.0.1', '192.168.1.1', '2001:db8::1', '::ffff:10.1.2.3', 'nonsense'];
const CIDRS = ['10.0.0.0/8', '10.66.0.0/16', '192.168.0.0/16', '2001:db8::/32', '0.0.0.0/0', '::/0'];
const HOSTS = ['api.example.com', 'API.example.com:8443', 'eu.example.com', 'reviews'];
const HOST_PATTERNS = ['api.example.com', '*.example.com', 'reviews', '*'];
const METHODS = ['GET', 'POST', 'DELETE', 'get'];
const PATHS = ['/', '/admin', '/admin/users', '/administrator', '/v1/users', '/index.php'];
const PATH_PATTERNS = ['/admin/*', '/admin', '*.php', '/v1/*', '*', '/v1/users'];
const CLAIMS: (Record<string, unknown> | null)[] = [null, { groups: ['admins', 'ops'] }, { groups: 'users', org: { id: 'o1' } }, { plan: 'gold', org: { id: 'o2' } }];
const CLAIM_CONDITIONS = [
  { claim: 'groups', values: ['admins'] },
  { claim: 'groups', values: ['users', 'ops'] },
  { claim: 'org.id', values: ['o*'] },
  { claim: 'plan', values: ['gold'] },
];
const HEADER_SETS: Record<string, string>[] = [{}, { 'x-tenant': 'acme' }, { 'x-tenant': 'globex', 'x-debug': '1' }];
const HEADER_CONDITIONS = [
  { header: 'x-tenant', values: ['acme'] },
  { header: 'x-debug', values: ['*'] },
];

const someOf = <T>(values: readonly T[]) => fc.option(fc.uniqueArray(fc.constantFrom(...values), { minLength: 1, maxLength: 2 }), { nil: null });

const ruleArb: fc.Arbitrary<CompiledAccessRule> = fc.record({
  from: fc.record({
    principals: someOf(PRINCIPAL_PATTERNS),
    requestPrincipals: someOf(REQUEST_PRINCIPAL_PATTERNS),
    ipBlocks: someOf(CIDRS),
    notIpBlocks: someOf(CIDRS),
  }),
  to: fc.record({ hosts: someOf(HOST_PATTERNS), methods: someOf(['GET', 'POST', 'DELETE']), paths: someOf(PATH_PATTERNS) }),
  when: fc.array(fc.constantFrom<CompiledAccessRule['when'][number]>(...CLAIM_CONDITIONS, ...HEADER_CONDITIONS), { maxLength: 2 }),
});

// Rules that set few fields match more often; mix them in so both outcomes are common.
const sparseRuleArb: fc.Arbitrary<CompiledAccessRule> = fc.oneof(
  ruleArb,
  ruleArb.map((r) => ({ ...r, from: { ...r.from, ipBlocks: null, notIpBlocks: null, requestPrincipals: null }, to: { ...r.to, hosts: null }, when: [] })),
  fc.constant<CompiledAccessRule>({ from: { principals: null, requestPrincipals: null, ipBlocks: null, notIpBlocks: null }, to: { hosts: null, methods: null, paths: null }, when: [] }),
);

const targetsArb = fc.subarray(TARGETS, { minLength: 1 });

function policyArb(action?: 'allow' | 'deny', minRules = 0): fc.Arbitrary<CompiledAccessPolicy> {
  return fc.record({
    id: fc.integer({ min: 0, max: 999 }).map((n) => `default/p${n}`),
    targets: targetsArb,
    action: action ? fc.constant(action) : fc.constantFrom<'allow' | 'deny'>('allow', 'deny'),
    rules: fc.array(sparseRuleArb, { minLength: minRules, maxLength: 3 }),
  });
}

const requestArb: fc.Arbitrary<AccessRequest> = fc
  .record({
    principal: fc.option(fc.constantFrom(...PRINCIPALS), { nil: null }),
    requestPrincipal: fc.option(fc.constantFrom(...REQUEST_PRINCIPALS), { nil: null }),
    clientIp: fc.option(fc.constantFrom(...IPS), { nil: null }),
    host: fc.constantFrom(...HOSTS),
    method: fc.constantFrom(...METHODS),
    path: fc.constantFrom(...PATHS),
    headerSet: fc.constantFrom(...HEADER_SETS),
    claims: fc.constantFrom(...CLAIMS),
  })
  .map(({ headerSet, ...rest }) => ({ ...rest, headers: new Headers(headerSet) }));

const policiesArb = fc.array(policyArb(), { maxLength: 5 });

function allowed(policies: CompiledAccessPolicy[], targets: CompiledTarget[], request: AccessRequest): boolean {
  return createAccessEvaluator(policies).decide(targets, request).allowed;
}

function insertAt<T>(list: T[], index: number, item: T): T[] {
  const at = index % (list.length + 1);
  return [...list.slice(0, at), item, ...list.slice(at)];
}

const RUNS = { numRuns: 500 };

describe('access decision properties', () => {
  it('the generators produce both outcomes', () => {
    let yes = 0;
    let no = 0;
    fc.assert(
      fc.property(policiesArb, targetsArb, requestArb, (policies, targets, request) => {
        if (allowed(policies, targets, request)) yes++;
        else no++;
      }),
      RUNS,
    );
    expect(yes).toBeGreaterThan(50);
    expect(no).toBeGreaterThan(50);
  });

  it('adding a deny policy never turns a denied request into an allowed one', () => {
    fc.assert(
      fc.property(policiesArb, policyArb('deny'), fc.nat(), targetsArb, requestArb, (policies, extra, at, targets, request) => {
        if (allowed(policies, targets, request)) return;
        expect(allowed(insertAt(policies, at, extra), targets, request)).toBe(false);
      }),
      RUNS,
    );
  });

  it('adding a deny policy never allows anything that was denied, and a matching one denies', () => {
    fc.assert(
      fc.property(policiesArb, sparseRuleArb, targetsArb, requestArb, (policies, rule, targets, request) => {
        const before = allowed(policies, targets, request);
        const extra: CompiledAccessPolicy = { id: 'default/extra-deny', targets, action: 'deny', rules: [rule] };
        const decision = createAccessEvaluator([...policies, extra]).decide(targets, request);
        if (!before) expect(decision.allowed).toBe(false);
        // The rule alone, as a deny on these targets: if it matches, the request is denied.
        const alone = createAccessEvaluator([extra]).decide(targets, request);
        if (!alone.allowed) expect(decision.allowed).toBe(false);
      }),
      RUNS,
    );
  });

  it('adding a rule to an allow policy never turns an allowed request into a denied one', () => {
    fc.assert(
      fc.property(policiesArb, fc.nat(), sparseRuleArb, targetsArb, requestArb, (policies, pick, rule, targets, request) => {
        const allows = policies.map((p, i) => [p, i] as const).filter(([p]) => p.action === 'allow');
        if (allows.length === 0 || !allowed(policies, targets, request)) return;
        const [policy, index] = allows[pick % allows.length] as readonly [CompiledAccessPolicy, number];
        const widened = policies.with(index, { ...policy, rules: [...policy.rules, rule] });
        expect(allowed(widened, targets, request)).toBe(true);
      }),
      RUNS,
    );
  });

  it('adding an allow policy where allow policies already apply never denies an allowed request', () => {
    fc.assert(
      fc.property(policiesArb, policyArb('allow', 1), fc.nat(), targetsArb, requestArb, (policies, extra, at, targets, request) => {
        const keys = new Set(targets.map((t) => `${t.kind}:${t.id}`));
        const allowApplies = policies.some((p) => p.action === 'allow' && p.targets.some((t) => keys.has(`${t.kind}:${t.id}`)));
        if (!allowApplies || !allowed(policies, targets, request)) return;
        expect(allowed(insertAt(policies, at, extra), targets, request)).toBe(true);
      }),
      RUNS,
    );
  });

  it('policy order never changes whether a request is allowed', () => {
    fc.assert(
      fc.property(policiesArb, targetsArb, requestArb, (policies, targets, request) => {
        expect(allowed([...policies].reverse(), targets, request)).toBe(allowed(policies, targets, request));
      }),
      RUNS,
    );
  });

  it('a deny that stops a path stops every case variant of it', () => {
    const flips = fc.array(fc.boolean(), { minLength: 32, maxLength: 32 });
    fc.assert(
      fc.property(policiesArb, targetsArb, requestArb, flips, (policies, targets, request, flip) => {
        const decision = createAccessEvaluator(policies).decide(targets, request);
        if (decision.allowed || !decision.reason.startsWith('deny rule')) return;
        const variant = [...request.path].map((ch, i) => (flip[i % flip.length] ? ch.toUpperCase() : ch.toLowerCase())).join('');
        expect(createAccessEvaluator(policies).decide(targets, { ...request, path: variant })).toMatchObject({ allowed: false, policy: decision.policy });
      }),
      RUNS,
    );
  });
});
