// The backend of the matched rule, by relative weight (canary), and its service. A rule
// whose backends all weigh 0, or whose backend names no service of the snapshot, has none:
// the policy's fault, not the upstream's, so 500, as the Gateway API asks of an invalid backend.
import { selectBackend } from '../../lb/select-backend.ts';
import { refuse } from '../answer.ts';
import type { Stage } from '../context.ts';

const NO_OPS = { set: {}, add: {}, remove: [] };

export const pickBackendStage: Stage = (c) => {
  const rule = c.match?.rule;
  if (!rule) return undefined;
  const backend = selectBackend(rule, c.pieces.random);
  if (!backend) return refuse('no_backend', `${c.routeLabel ?? rule.name} has no backend with a weight above 0`);
  const service = c.runtime.services.get(backend.service);
  if (!service) return refuse('no_backend', `${backend.service}, the backend of ${c.routeLabel ?? rule.name}, is not a service of the snapshot`);
  // A snapshot compiled before backends carried header operations has none.
  c.backend = { service, subset: backend.subset, requestHeaders: backend.requestHeaders ?? NO_OPS, responseHeaders: backend.responseHeaders ?? NO_OPS };
  return undefined;
};
