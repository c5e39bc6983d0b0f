// A reference from a policy (Authentication, AccessPolicy, RateLimit) to what it governs.
import { z } from 'zod';
import { dnsLabel } from './envelope.ts';

export const targetRef = z.strictObject({
  kind: z.enum(['Route', 'Service']).describe('Kind of the governed document.'),
  name: dnsLabel.describe('Its name.'),
  namespace: dnsLabel.optional().describe("Its namespace; the policy's own when omitted."),
});

export const targetRefs = z
  .array(targetRef)
  .min(1, 'expected at least one target')
  .describe('What this policy applies to: Routes (edge and mesh) or Services (every route to them).');

export type TargetRef = z.infer<typeof targetRef>;
