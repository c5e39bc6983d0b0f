// What enforces each Mesh field, per data plane (core/policy/enforcement.ts explains the form).
import { both, na } from '../shared/enforcement.ts';
import type { KindEnforcement } from '../shared/enforcement.ts';

export const meshEnforcement: KindEnforcement = {
  'spec.trustDomain': both('snapshot'),
  'spec.identity.jwtSvidTtl': both('control'),
  'spec.identity.x509SvidTtl': { edge: na('the gateway holds no X.509-SVID: Workers fetch() cannot present a client certificate'), mesh: 'control' },
  'spec.mtls.mode': { edge: na('the gateway is never the callee of a mesh call; the callee’s sidecar enforces the mode'), mesh: 'callerIdentityStage' },
  'spec.defaults': both('attemptsStage'),
  'spec.defaults.maxRequestBytes': both('requestSizeStage'),
  'spec.pathNormalization': both('normalizePathStage'),
  'spec.telemetry.maxRouteLabels': { edge: na('the gateway exports no per-route golden metrics yet; when it does, it bounds them with the same core/telemetry/golden-metrics.ts'), mesh: 'goldenMetrics' },
};
