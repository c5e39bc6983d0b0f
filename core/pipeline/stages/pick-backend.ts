// The backend of the matched rule, by weight (canary), and its service.
import { selectBackend } from '../../lb/select-backend.ts';
import { refuse } from '../answer.ts';
import type { Stage } from '../context.ts';

export const pickBackendStage: Stage = (c) => {
  const rule = c.match?.rule;
  if (!rule) return undefined;
  const backend = selectBackend(rule, c.pieces.random);
  const service = backend && c.runtime.services.get(backend.service);
  if (!backend || !service) return refuse('no_backend', 'the route has no backend with weight > 0');
  c.backend = { service, subset: backend.subset };
  return undefined;
};
