// What enforces each RateLimit field, per data plane (core/policy/enforcement.ts explains the
// form). `global` limits count in a Durable Object at the edge, on quota leased from control
// in the mesh; in the mesh it is the callee's sidecar (inbound) that counts.
import { both } from '../shared/enforcement.ts';
import type { KindEnforcement } from '../shared/enforcement.ts';
import { REFUSED } from './compile.ts';

export const rateLimitEnforcement: KindEnforcement = {
  'spec.targetRefs': both('compiler'),
  spec: both('rateLimitStage'),
  'spec.limits[].key': { edge: { refused: REFUSED.principalKeyAtEdge, otherwise: 'rateLimitStage' }, mesh: 'rateLimitStage' },
};
