// What enforces each AccessPolicy field, per data plane (core/policy/enforcement.ts explains
// the form). In the mesh it is the callee's sidecar (inbound) that decides.
import { both } from '../shared/enforcement.ts';
import type { KindEnforcement } from '../shared/enforcement.ts';
import { REFUSED } from './compile.ts';

export const accessPolicyEnforcement: KindEnforcement = {
  'spec.targetRefs': both('compiler'),
  spec: both('authorizeStage'),
  'spec.rules[].from.principals': { edge: { refused: REFUSED.principalsAtEdge, otherwise: 'authorizeStage' }, mesh: 'authorizeStage' },
};
