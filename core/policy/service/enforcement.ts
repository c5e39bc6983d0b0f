// What enforces each Service field, per data plane (core/policy/enforcement.ts explains the form).
import { both, na } from '../shared/enforcement.ts';
import type { KindEnforcement } from '../shared/enforcement.ts';
import { REFUSED } from './compile.ts';

export const serviceEnforcement: KindEnforcement = {
  // Endpoints, subsets, balancing, breaker and outlier detection all act in the attempts runner.
  spec: both('attemptsStage'),
  'spec.loadBalancer.hashOn.cookie.ttl': both({ refused: REFUSED.stickyCookie }),
  'spec.connectionLimits.maxRequestsPerConnection': {
    edge: na('Workers fetch() owns the gateway’s upstream connections: the gateway has none of its own to recycle'),
    mesh: 'attemptsStage',
  },
  'spec.mtls.mode': { edge: na('the gateway is never the callee of a mesh call; the callee’s sidecar enforces the mode'), mesh: 'callerIdentityStage' },
};
