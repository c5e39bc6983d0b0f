// What enforces each Route field, per data plane (core/policy/enforcement.ts explains the form).
// In the mesh the caller's sidecar (outbound) routes by the rule; the callee's (inbound)
// matches the same rule only to find the policies attached to the Route.
import { both, na } from '../shared/enforcement.ts';
import type { KindEnforcement } from '../shared/enforcement.ts';
import { REFUSED } from './compile.ts';

export const routeEnforcement: KindEnforcement = {
  'spec.edge.hosts': { edge: 'matchEdgeRouteStage', mesh: na('edge hosts are served by the gateway only') },
  'spec.mesh.services': { edge: na('governs east-west calls only'), mesh: 'matchMeshRouteStage' },
  'spec.rules[].name': both('compiler'),
  'spec.rules[].matches': { edge: 'matchEdgeRouteStage', mesh: 'matchMeshRouteStage' },
  'spec.rules[].backends': both('pickBackendStage'),
  'spec.rules[].backends[].port': both({ refused: REFUSED.backendPort }),
  'spec.rules[].backends[].requestHeaders': both('requestHeadersStage'),
  'spec.rules[].backends[].responseHeaders': both('responseHeaderOps'),
  'spec.rules[].redirect': both('redirectStage'),
  'spec.rules[].rewrite': both('requestHeadersStage'),
  'spec.rules[].requestHeaders': both('requestHeadersStage'),
  'spec.rules[].responseHeaders': both('responseHeaderOps'),
  'spec.rules[].mirror': both('attemptsStage'),
  'spec.rules[].timeout': both('attemptsStage'),
  'spec.rules[].retries': both('attemptsStage'),
  'spec.rules[].maxRequestBytes': both('requestSizeStage'),
  'spec.rules[].fault': both('faultStage'),
  'spec.rules[].websocket': { edge: 'attemptsStage', mesh: 'attemptsStage' },
  'spec.rules[].cors': {
    edge: 'corsStage',
    mesh: { refused: REFUSED.corsInMesh, otherwise: na('browsers do not call mesh services; the route’s edge hosts get the CORS policy') },
  },
};
