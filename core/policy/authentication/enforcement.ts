// What enforces each Authentication field, per data plane (core/policy/enforcement.ts explains
// the form). In the mesh it is the callee's sidecar (inbound) that authenticates.
import { both } from '../shared/enforcement.ts';
import type { KindEnforcement } from '../shared/enforcement.ts';
import { REFUSED } from './compile.ts';

export const authenticationEnforcement: KindEnforcement = {
  'spec.targetRefs': both('compiler'),
  spec: both('authenticateStage'),
  'spec.jwt[].from[].query': both({ refused: REFUSED.jwtInQuery, otherwise: 'authenticateStage' }),
  'spec.apiKeys.from.query': both({ refused: REFUSED.apiKeyInQuery }),
};
