// AccessPolicy: allow or deny, by who calls (SPIFFE principals, end-user request principals,
// IP blocks), what they call (hosts, methods, paths) and when (claims, headers). Istio's
// AuthorizationPolicy semantics: deny wins; any allow on a target denies everything else.
import { z } from 'zod';
import { documentSchema } from '../shared/envelope.ts';
import { headerName } from '../shared/header-ops.ts';
import { targetRefs } from '../shared/target-ref.ts';

const nonEmptyStrings = z.array(z.string().min(1)).min(1);

const source = z.strictObject({
  principals: nonEmptyStrings.optional().describe('Caller SPIFFE IDs; `*` wildcards, e.g. `spiffe://weft.local/ns/shop/sa/*`.'),
  requestPrincipals: nonEmptyStrings.optional().describe('End users as `<iss>/<sub>` (or `apikey/<name>`); `*` wildcards.'),
  ipBlocks: nonEmptyStrings.optional().describe('Client addresses or CIDR blocks (IPv4/IPv6).'),
  notIpBlocks: nonEmptyStrings.optional().describe('Client addresses or CIDR blocks excluded.'),
});

const operation = z.strictObject({
  hosts: nonEmptyStrings.optional().describe('Hosts (edge) or services (mesh); `*` wildcards.'),
  methods: z.array(z.string().regex(/^[A-Za-z]+$/, 'expected an HTTP method such as GET').transform((m) => m.toUpperCase())).min(1).optional().describe('HTTP methods.'),
  paths: nonEmptyStrings.optional().describe('Normalized paths: exact, `/prefix/*`, or `*suffix`.'),
});

const condition = z
  .strictObject({
    claim: z.string().min(1).optional().describe('JWT claim (or API key claim) name; dots for nesting.'),
    header: headerName.optional().describe('Request header name.'),
    values: nonEmptyStrings.describe('Any of these values; `*` wildcards.'),
  })
  .superRefine((c, ctx) => {
    if (!c.claim === !c.header) ctx.addIssue({ code: 'custom', message: 'a condition needs exactly one of claim or header' });
  });

export const accessRule = z.strictObject({
  from: source.optional().describe('Who; every field set must match.'),
  to: operation.optional().describe('What; every field set must match.'),
  when: z.array(condition).optional().describe('Extra conditions; all must match.'),
});

export const accessPolicySpec = z.strictObject({
  targetRefs,
  action: z.enum(['allow', 'deny']).describe('`deny` rules are checked first; with any `allow` policy on a target, requests matching no allow rule are denied.'),
  rules: z.array(accessRule).default([]).describe('A request matches the policy if it matches any rule. An allow policy with no rules allows nothing.'),
});

export type AccessPolicySpec = z.infer<typeof accessPolicySpec>;

export const accessPolicyDocument = documentSchema('AccessPolicy', accessPolicySpec, 'Allow or deny requests to a Route or Service.');
