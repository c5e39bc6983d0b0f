// RateLimit: N requests per period with a burst, per key, per proxy (`local`) or mesh-wide
// (`global`). Denials answer 429 with Retry-After and RateLimit-* headers.
import { z } from 'zod';
import { dnsLabel, documentSchema } from '../shared/envelope.ts';
import { positiveDuration } from '../shared/duration.ts';
import { headerName } from '../shared/header-ops.ts';
import { targetRefs } from '../shared/target-ref.ts';
import { repeatedNames } from '../shared/duplicates.ts';

const limitKey = z.union(
  [
    z.enum(['client-ip', 'api-key', 'principal', 'request-principal']),
    z.strictObject({ header: headerName.describe('Count per value of this request header.') }),
    z.strictObject({ claim: z.string().min(1).describe('Count per value of this JWT or API-key claim.') }),
  ],
  { error: 'expected client-ip, api-key, principal, request-principal, {header: NAME} or {claim: NAME}' },
);

const limit = z.strictObject({
  name: dnsLabel.describe('Limit name, shown in metrics and headers.'),
  key: limitKey.describe('What is counted separately: `client-ip`, `api-key`, `principal` (caller SPIFFE ID), `request-principal` (end user), a header or a claim.'),
  requests: z.number().int().min(1).describe('Requests allowed per period.'),
  period: positiveDuration.describe('The period, e.g. `1m`.'),
  burst: z.number().int().min(1).optional().describe('Bucket size: requests allowed at once; `requests` when omitted.'),
  scope: z.enum(['local', 'global']).default('local').describe('`local`: each proxy counts on its own. `global`: one mesh-wide counter.'),
});

export const rateLimitSpec = z
  .strictObject({
    targetRefs,
    limits: z.array(limit).min(1).describe('Limits; a request must pass all of them.'),
  })
  .superRefine((s, ctx) => {
    for (const r of repeatedNames(s.limits.map((l) => l.name)))
      ctx.addIssue({ code: 'custom', path: ['limits', r.index, 'name'], message: `duplicate limit "${r.name}"` });
  });

export type RateLimitSpec = z.infer<typeof rateLimitSpec>;

export const rateLimitDocument = documentSchema('RateLimit', rateLimitSpec, 'Request rate limits per key on a Route or Service.');
