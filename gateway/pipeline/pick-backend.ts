// Stage 8: the backend of the matched rule, by weight (canary), and its service.
import { selectBackend } from '../../core/lb/select-backend.ts';
import { jsonError } from './json-error.ts';
import type { Stage } from './context.ts';

export const pickBackendStage: Stage = (c) => {
  const rule = c.match?.rule;
  if (!rule) return undefined;
  const backend = selectBackend(rule, Math.random);
  const service = backend && c.runtime.services.get(backend.service);
  if (!backend || !service) return jsonError(503, 'no_backend', 'the route has no backend with weight > 0');
  c.backend = { service, subset: backend.subset };
  return undefined;
};
