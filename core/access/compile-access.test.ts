// Access decisions as a table: each row is a set of policies, a request, and the answer a
// user should see (allowed, or denied naming the policy). Istio AuthorizationPolicy semantics.
import { describe, expect, it } from 'vitest';
import type { CompiledAccessPolicy, CompiledAccessRule } from '../policy/access-policy/compile.ts';
import type { CompiledTarget } from '../policy/shared/resolve-targets.ts';
import { clientIpBytes, createAccessEvaluator } from './compile-access.ts';
import type { AccessRequest } from './compile-access.ts';

const ROUTE: CompiledTarget = { kind: 'Route', id: 'default/api' };
const SERVICE: CompiledTarget = { kind: 'Service', id: 'default/reviews' };
const OTHER: CompiledTarget = { kind: 'Service', id: 'default/other' };

const WEB = 'spiffe://weft.local/ns/shop/sa/web';
const BILLING = 'spiffe://weft.local/ns/billing/sa/api';

type RuleSpec = { from?: Partial<CompiledAccessRule['from']>; to?: Partial<CompiledAccessRule['to']>; when?: CompiledAccessRule['when'] };

function rule(spec: RuleSpec = {}): CompiledAccessRule {
  return {
    from: { principals: null, requestPrincipals: null, ipBlocks: null, notIpBlocks: null, ...spec.from },
    to: { hosts: null, methods: null, paths: null, ...spec.to },
    when: spec.when ?? [],
  };
}

function allow(id: string, rules: RuleSpec[], targets: CompiledTarget[] = [ROUTE]): CompiledAccessPolicy {
  return { id, targets, action: 'allow', rules: rules.map(rule) };
}

function deny(id: string, rules: RuleSpec[], targets: CompiledTarget[] = [ROUTE]): CompiledAccessPolicy {
  return { id, targets, action: 'deny', rules: rules.map(rule) };
}

function req(over: Partial<Omit<AccessRequest, 'headers'>> & { headers?: Record<string, string> } = {}): AccessRequest {
  const { headers, ...rest } = over;
  return {
    principal: null,
    requestPrincipal: null,
    clientIp: '203.0.113.7',
    host: 'api.example.com',
    method: 'GET',
    path: '/v1/users',
    claims: null,
    ...rest,
    headers: new Headers(headers ?? {}),
  };
}

interface Row {
  name: string;
  policies: CompiledAccessPolicy[];
  request: AccessRequest;
  targets?: CompiledTarget[];
  /** true = allowed; a string = denied by that policy. */
  expect: true | string;
}

const ALICE = 'https://idp.example.com//alice';

const rows: Row[] = [
  // Deny, allow, and their absence.
  { name: 'no policy → allowed', policies: [], request: req(), expect: true },
  { name: 'policies on another target do not apply', policies: [allow('default/other', [{ from: { principals: [WEB] } }], [OTHER])], request: req(), expect: true },
  { name: 'only a non-matching deny → allowed', policies: [deny('default/d', [{ to: { methods: ['DELETE'] } }])], request: req(), expect: true },
  { name: 'matching deny → denied', policies: [deny('default/d', [{ to: { methods: ['GET'] } }])], request: req(), expect: 'default/d' },
  {
    name: 'deny beats a matching allow',
    policies: [allow('default/a', [{}]), deny('default/d', [{ to: { paths: ['/v1/*'] } }])],
    request: req(),
    expect: 'default/d',
  },
  { name: 'allow with no rules denies everything', policies: [allow('default/closed', [])], request: req(), expect: 'default/closed' },
  { name: 'allow with an empty rule allows everything', policies: [allow('default/open', [{}])], request: req(), expect: true },
  { name: 'deny with an empty rule denies everything', policies: [deny('default/all', [{}])], request: req(), expect: 'default/all' },
  { name: 'deny with no rules denies nothing', policies: [deny('default/none', [])], request: req(), expect: true },
  {
    name: 'an allow that does not match closes the target',
    policies: [allow('default/a', [{ from: { principals: [WEB] } }])],
    request: req({ principal: BILLING }),
    expect: 'default/a',
  },
  {
    name: 'any allow policy may allow',
    policies: [allow('default/a', [{ from: { principals: [WEB] } }]), allow('default/b', [{ from: { principals: [BILLING] } }])],
    request: req({ principal: BILLING }),
    expect: true,
  },
  {
    name: 'any rule of a policy may match',
    policies: [allow('default/a', [{ from: { principals: [WEB] } }, { to: { methods: ['GET'] } }])],
    request: req({ principal: BILLING }),
    expect: true,
  },
  {
    name: 'every field of a rule must match',
    policies: [allow('default/a', [{ from: { principals: [BILLING] }, to: { methods: ['POST'] } }])],
    request: req({ principal: BILLING }),
    expect: 'default/a',
  },

  // Principals (workload SPIFFE IDs).
  { name: 'principal exact', policies: [allow('default/a', [{ from: { principals: [WEB] } }])], request: req({ principal: WEB }), expect: true },
  {
    name: 'principal wildcard on the service',
    policies: [allow('default/a', [{ from: { principals: ['spiffe://weft.local/ns/shop/sa/*'] } }])],
    request: req({ principal: WEB }),
    expect: true,
  },
  {
    name: 'principal wildcard on the namespace does not admit another one',
    policies: [allow('default/a', [{ from: { principals: ['spiffe://weft.local/ns/shop/*'] } }])],
    request: req({ principal: BILLING }),
    expect: 'default/a',
  },
  {
    name: 'principal "*" needs a principal',
    policies: [allow('default/a', [{ from: { principals: ['*'] } }])],
    request: req({ principal: null }),
    expect: 'default/a',
  },
  {
    name: 'a deny on principals does not match an edge request without one',
    policies: [deny('default/d', [{ from: { principals: ['*'] } }])],
    request: req({ principal: null }),
    expect: true,
  },
  {
    name: 'a look-alike trust domain does not match',
    policies: [allow('default/a', [{ from: { principals: ['spiffe://weft.local/ns/shop/sa/web'] } }])],
    request: req({ principal: 'spiffe://weft.local.evil/ns/shop/sa/web' }),
    expect: 'default/a',
  },

  // Request principals (end users, API keys).
  {
    name: 'requestPrincipal exact',
    policies: [allow('default/a', [{ from: { requestPrincipals: [ALICE] } }])],
    request: req({ requestPrincipal: ALICE }),
    expect: true,
  },
  {
    name: 'requestPrincipal issuer wildcard',
    policies: [allow('default/a', [{ from: { requestPrincipals: ['https://idp.example.com/*'] } }])],
    request: req({ requestPrincipal: ALICE }),
    expect: true,
  },
  {
    name: 'requestPrincipal from another issuer',
    policies: [allow('default/a', [{ from: { requestPrincipals: ['https://idp.example.com/*'] } }])],
    request: req({ requestPrincipal: 'https://idp.example.com.evil.io//alice' }),
    expect: 'default/a',
  },
  {
    name: 'anonymous caller against requestPrincipals "*"',
    policies: [allow('default/a', [{ from: { requestPrincipals: ['*'] } }])],
    request: req({ requestPrincipal: null }),
    expect: 'default/a',
  },
  {
    name: 'API key principal',
    policies: [allow('default/a', [{ from: { requestPrincipals: ['apikey/acme'] } }])],
    request: req({ requestPrincipal: 'apikey/acme' }),
    expect: true,
  },

  // IP blocks.
  { name: 'ipBlocks v4 inside', policies: [allow('default/a', [{ from: { ipBlocks: ['10.0.0.0/8'] } }])], request: req({ clientIp: '10.20.30.40' }), expect: true },
  { name: 'ipBlocks v4 outside', policies: [allow('default/a', [{ from: { ipBlocks: ['10.0.0.0/8'] } }])], request: req({ clientIp: '11.0.0.1' }), expect: 'default/a' },
  { name: 'ipBlocks bare address', policies: [allow('default/a', [{ from: { ipBlocks: ['192.0.2.1'] } }])], request: req({ clientIp: '192.0.2.1' }), expect: true },
  { name: 'ipBlocks v6 inside', policies: [allow('default/a', [{ from: { ipBlocks: ['2001:db8::/32'] } }])], request: req({ clientIp: '2001:db8:1::5' }), expect: true },
  { name: 'ipBlocks v6 outside', policies: [allow('default/a', [{ from: { ipBlocks: ['2001:db8::/32'] } }])], request: req({ clientIp: '2001:db9::5' }), expect: 'default/a' },
  { name: 'v4 block never matches a v6 client', policies: [allow('default/a', [{ from: { ipBlocks: ['0.0.0.0/0'] } }])], request: req({ clientIp: '::1' }), expect: 'default/a' },
  {
    name: 'IPv4-mapped IPv6 client counts as IPv4',
    policies: [allow('default/a', [{ from: { ipBlocks: ['10.0.0.0/8'] } }])],
    request: req({ clientIp: '::ffff:10.1.2.3' }),
    expect: true,
  },
  {
    name: 'notIpBlocks excludes',
    policies: [allow('default/a', [{ from: { ipBlocks: ['10.0.0.0/8'], notIpBlocks: ['10.66.0.0/16'] } }])],
    request: req({ clientIp: '10.66.1.1' }),
    expect: 'default/a',
  },
  {
    name: 'notIpBlocks lets the rest through',
    policies: [allow('default/a', [{ from: { ipBlocks: ['10.0.0.0/8'], notIpBlocks: ['10.66.0.0/16'] } }])],
    request: req({ clientIp: '10.67.1.1' }),
    expect: true,
  },
  {
    name: 'deny everyone outside the office (notIpBlocks in a deny)',
    policies: [deny('default/office-only', [{ from: { notIpBlocks: ['198.51.100.0/24', '2001:db8:ffff::/48'] } }])],
    request: req({ clientIp: '203.0.113.7' }),
    expect: 'default/office-only',
  },
  {
    name: 'deny everyone outside the office: office v6 client passes',
    policies: [deny('default/office-only', [{ from: { notIpBlocks: ['198.51.100.0/24', '2001:db8:ffff::/48'] } }])],
    request: req({ clientIp: '2001:db8:ffff:1::9' }),
    expect: true,
  },
  {
    name: 'unknown client IP never satisfies an allow on IPs',
    policies: [allow('default/a', [{ from: { notIpBlocks: ['10.0.0.0/8'] } }])],
    request: req({ clientIp: null }),
    expect: 'default/a',
  },
  {
    name: 'unknown client IP is caught by a deny on IPs',
    policies: [deny('default/d', [{ from: { ipBlocks: ['10.0.0.0/8'] } }])],
    request: req({ clientIp: 'garbage' }),
    expect: 'default/d',
  },

  // Paths (already normalized).
  { name: 'path exact', policies: [allow('default/a', [{ to: { paths: ['/v1/users'] } }])], request: req({ path: '/v1/users' }), expect: true },
  { name: 'path exact is not a prefix', policies: [allow('default/a', [{ to: { paths: ['/v1/users'] } }])], request: req({ path: '/v1/users/7' }), expect: 'default/a' },
  { name: 'path exact keeps the trailing slash apart', policies: [allow('default/a', [{ to: { paths: ['/v1/users'] } }])], request: req({ path: '/v1/users/' }), expect: 'default/a' },
  { name: 'path prefix matches below', policies: [allow('default/a', [{ to: { paths: ['/admin/*'] } }])], request: req({ path: '/admin/users/7' }), expect: true },
  { name: 'path prefix matches the prefix itself', policies: [allow('default/a', [{ to: { paths: ['/admin/*'] } }])], request: req({ path: '/admin' }), expect: true },
  { name: 'path prefix is segment-wise', policies: [deny('default/d', [{ to: { paths: ['/admin/*'] } }])], request: req({ path: '/administrator' }), expect: true },
  { name: 'path prefix deny catches the bare prefix', policies: [deny('default/d', [{ to: { paths: ['/admin/*'] } }])], request: req({ path: '/admin' }), expect: 'default/d' },
  { name: 'path suffix', policies: [deny('default/d', [{ to: { paths: ['*.php'] } }])], request: req({ path: '/wp/index.php' }), expect: 'default/d' },
  { name: 'path suffix no match', policies: [deny('default/d', [{ to: { paths: ['*.php'] } }])], request: req({ path: '/index.phpx' }), expect: true },
  { name: 'path "*" matches all', policies: [allow('default/a', [{ to: { paths: ['*'] } }])], request: req({ path: '/' }), expect: true },
  // A backend may ignore case: a deny must catch every case variant, an allow must not widen.
  { name: 'deny paths ignore case (prefix)', policies: [deny('default/d', [{ to: { paths: ['/admin/*'] } }])], request: req({ path: '/Admin/x' }), expect: 'default/d' },
  { name: 'deny paths ignore case (bare prefix)', policies: [deny('default/d', [{ to: { paths: ['/admin/*'] } }])], request: req({ path: '/ADMIN' }), expect: 'default/d' },
  { name: 'deny paths ignore case (exact)', policies: [deny('default/d', [{ to: { paths: ['/admin'] } }])], request: req({ path: '/aDmIn' }), expect: 'default/d' },
  { name: 'deny paths ignore case (suffix)', policies: [deny('default/d', [{ to: { paths: ['*.php'] } }])], request: req({ path: '/wp/INDEX.PHP' }), expect: 'default/d' },
  { name: 'deny paths ignore case (wildcard)', policies: [deny('default/d', [{ to: { paths: ['/v1/*/secrets'] } }])], request: req({ path: '/V1/acme/Secrets' }), expect: 'default/d' },
  { name: 'deny paths ignore the pattern\'s case too', policies: [deny('default/d', [{ to: { paths: ['/Admin/*'] } }])], request: req({ path: '/admin/users' }), expect: 'default/d' },
  { name: 'deny paths ignore the case of encoded bytes', policies: [deny('default/d', [{ to: { paths: ['/caf%C3%A9'] } }])], request: req({ path: '/CAF%C3%A9' }), expect: 'default/d' },
  { name: 'deny paths ignoring case stay segment-wise', policies: [deny('default/d', [{ to: { paths: ['/admin/*'] } }])], request: req({ path: '/ADMINISTRATOR' }), expect: true },
  { name: 'allow paths are case-sensitive (an allow never widens)', policies: [allow('default/a', [{ to: { paths: ['/public/*'] } }])], request: req({ path: '/PUBLIC/x' }), expect: 'default/a' },
  { name: 'allow paths are case-sensitive (exact)', policies: [allow('default/a', [{ to: { paths: ['/v1/users'] } }])], request: req({ path: '/V1/Users' }), expect: 'default/a' },
  {
    name: 'a case variant denied by a deny is not saved by an allow that names it',
    policies: [allow('default/a', [{ to: { paths: ['/ADMIN/*'] } }]), deny('default/d', [{ to: { paths: ['/admin/*'] } }])],
    request: req({ path: '/ADMIN/x' }),
    expect: 'default/d',
  },

  // Methods and hosts.
  { name: 'method listed', policies: [allow('default/a', [{ to: { methods: ['GET', 'HEAD'] } }])], request: req({ method: 'HEAD' }), expect: true },
  { name: 'method not listed', policies: [allow('default/a', [{ to: { methods: ['GET', 'HEAD'] } }])], request: req({ method: 'POST' }), expect: 'default/a' },
  { name: 'request method is upper-cased', policies: [deny('default/d', [{ to: { methods: ['DELETE'] } }])], request: req({ method: 'delete' }), expect: 'default/d' },
  { name: 'host case-insensitive', policies: [allow('default/a', [{ to: { hosts: ['api.example.com'] } }])], request: req({ host: 'API.Example.COM' }), expect: true },
  { name: 'host wildcard', policies: [allow('default/a', [{ to: { hosts: ['*.example.com'] } }])], request: req({ host: 'eu.api.example.com' }), expect: true },
  { name: 'host wildcard needs the dot', policies: [allow('default/a', [{ to: { hosts: ['*.example.com'] } }])], request: req({ host: 'evilexample.com' }), expect: 'default/a' },
  { name: 'host with a port matches the host name', policies: [deny('default/d', [{ to: { hosts: ['api.example.com'] } }])], request: req({ host: 'api.example.com:8443' }), expect: 'default/d' },
  { name: 'host pattern with a port', policies: [allow('default/a', [{ to: { hosts: ['api.example.com:8443'] } }])], request: req({ host: 'api.example.com:8443' }), expect: true },
  { name: 'host trailing dot', policies: [deny('default/d', [{ to: { hosts: ['api.example.com'] } }])], request: req({ host: 'api.example.com.' }), expect: 'default/d' },
  { name: 'mesh host is the service name', policies: [allow('default/a', [{ to: { hosts: ['reviews'] } }], [SERVICE])], targets: [SERVICE], request: req({ host: 'reviews' }), expect: true },

  // when: claims and headers.
  {
    name: 'claim value',
    policies: [allow('default/a', [{ when: [{ claim: 'plan', values: ['gold', 'platinum'] }] }])],
    request: req({ claims: { plan: 'gold' } }),
    expect: true,
  },
  {
    name: 'claim array: any element',
    policies: [allow('default/a', [{ when: [{ claim: 'groups', values: ['admins'] }] }])],
    request: req({ claims: { groups: ['users', 'admins'] } }),
    expect: true,
  },
  {
    name: 'claim array without the value',
    policies: [allow('default/a', [{ when: [{ claim: 'groups', values: ['admins'] }] }])],
    request: req({ claims: { groups: ['users'] } }),
    expect: 'default/a',
  },
  {
    name: 'nested claim',
    policies: [allow('default/a', [{ when: [{ claim: 'realm_access.roles', values: ['editor'] }] }])],
    request: req({ claims: { realm_access: { roles: ['viewer', 'editor'] } } }),
    expect: true,
  },
  {
    name: 'claim name containing dots',
    policies: [allow('default/a', [{ when: [{ claim: 'https://example.com/tier', values: ['gold'] }] }])],
    request: req({ claims: { 'https://example.com/tier': 'gold' } }),
    expect: true,
  },
  {
    name: 'claim wildcard and non-string claims',
    policies: [allow('default/a', [{ when: [{ claim: 'email', values: ['*@example.com'] }, { claim: 'email_verified', values: ['true'] }] }])],
    request: req({ claims: { email: 'a@example.com', email_verified: true } }),
    expect: true,
  },
  {
    name: 'all when conditions must hold',
    policies: [allow('default/a', [{ when: [{ claim: 'email', values: ['*@example.com'] }, { claim: 'email_verified', values: ['true'] }] }])],
    request: req({ claims: { email: 'a@example.com', email_verified: false } }),
    expect: 'default/a',
  },
  {
    name: 'missing claim never matches, even "*"',
    policies: [allow('default/a', [{ when: [{ claim: 'plan', values: ['*'] }] }])],
    request: req({ claims: { sub: 'x' } }),
    expect: 'default/a',
  },
  {
    name: 'anonymous (no claims) never matches a claim condition',
    policies: [deny('default/d', [{ when: [{ claim: 'banned', values: ['*'] }] }])],
    request: req({ claims: null }),
    expect: true,
  },
  {
    name: 'header exact',
    policies: [allow('default/a', [{ when: [{ header: 'x-tenant', values: ['acme'] }] }])],
    request: req({ headers: { 'X-Tenant': 'acme' } }),
    expect: true,
  },
  {
    name: 'header compared exactly (case of the value matters)',
    policies: [allow('default/a', [{ when: [{ header: 'x-tenant', values: ['acme'] }] }])],
    request: req({ headers: { 'x-tenant': 'ACME' } }),
    expect: 'default/a',
  },
  {
    name: 'header wildcard needs the header',
    policies: [allow('default/a', [{ when: [{ header: 'x-debug', values: ['*'] }] }])],
    request: req(),
    expect: 'default/a',
  },
  {
    name: 'header wildcard prefix',
    policies: [deny('default/d', [{ when: [{ header: 'user-agent', values: ['curl/*'] }] }])],
    request: req({ headers: { 'user-agent': 'curl/8.5.0' } }),
    expect: 'default/d',
  },

  // Policies on several targets combine.
  {
    name: 'a deny on the service applies to a request routed through the route',
    policies: [allow('default/route-open', [{}], [ROUTE]), deny('default/svc-deny', [{ to: { methods: ['GET'] } }], [SERVICE])],
    targets: [ROUTE, SERVICE],
    request: req(),
    expect: 'default/svc-deny',
  },
  {
    name: 'an allow on either target counts (they pool)',
    policies: [allow('default/route-allow', [{ from: { principals: [WEB] } }], [ROUTE]), allow('default/svc-allow', [{ from: { principals: [BILLING] } }], [SERVICE])],
    targets: [ROUTE, SERVICE],
    request: req({ principal: BILLING }),
    expect: true,
  },
  {
    name: 'an allow on one target closes the pooled targets to the unnamed',
    policies: [allow('default/svc-allow', [{ from: { principals: [BILLING] } }], [SERVICE])],
    targets: [ROUTE, SERVICE],
    request: req({ principal: WEB }),
    expect: 'default/svc-allow',
  },
  {
    name: 'a policy attached to two targets is counted once',
    policies: [deny('default/both', [{ to: { methods: ['POST'] } }], [ROUTE, SERVICE]), allow('default/a', [{}], [ROUTE])],
    targets: [ROUTE, SERVICE],
    request: req({ method: 'POST' }),
    expect: 'default/both',
  },
];

describe('AccessEvaluator.decide', () => {
  it.each(rows)('$name', (row) => {
    const decision = createAccessEvaluator(row.policies).decide(row.targets ?? [ROUTE], row.request);
    if (row.expect === true) expect(decision).toMatchObject({ allowed: true });
    else expect(decision).toMatchObject({ allowed: false, policy: row.expect });
  });

  it('explains its decisions', () => {
    const evaluator = createAccessEvaluator([
      allow('default/readers', [{ to: { methods: ['GET'] } }, { from: { principals: [WEB] } }]),
      deny('default/no-delete', [{ to: { methods: ['DELETE'] } }]),
    ]);
    expect(evaluator.decide([ROUTE], req({ principal: WEB, method: 'POST' }))).toEqual({ allowed: true, reason: 'allowed by AccessPolicy default/readers (rule 2)' });
    expect(evaluator.decide([ROUTE], req({ method: 'DELETE' }))).toEqual({ allowed: false, policy: 'default/no-delete', reason: 'deny rule 1 matches' });
    expect(evaluator.decide([ROUTE], req({ method: 'PUT' }))).toEqual({
      allowed: false,
      policy: 'default/readers',
      reason: 'no allow rule matches (allow policies: default/readers)',
    });
    expect(evaluator.decide([OTHER], req())).toEqual({ allowed: true, reason: 'no access policy applies' });
  });

  it('reads client addresses as the adapters report them', () => {
    expect(clientIpBytes('10.1.2.3')).toEqual(new Uint8Array([10, 1, 2, 3]));
    expect(clientIpBytes('::ffff:10.1.2.3')).toEqual(new Uint8Array([10, 1, 2, 3]));
    expect(clientIpBytes('[2001:db8::1]')?.length).toBe(16);
    expect(clientIpBytes('fe80::1%eth0')?.length).toBe(16);
    expect(clientIpBytes('not an ip')).toBeNull();
    expect(clientIpBytes(null)).toBeNull();
  });
});
