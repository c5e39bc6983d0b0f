// Access policy on the request's targets (core/access: deny wins; any allow policy on a
// target denies what it does not allow). The caller is its verified SPIFFE ID (mesh), the
// end user its verified principal and claims; the client IP is what this hop saw.
import { refuse } from '../answer.ts';
import type { Stage } from '../context.ts';

export const authorizeStage: Stage = (c) => {
  const decision = c.runtime.access.decide(c.targets, {
    principal: c.peer,
    requestPrincipal: c.user?.requestPrincipal ?? null,
    clientIp: c.request.clientIp,
    host: c.request.host,
    method: c.request.method.toUpperCase(),
    path: c.path,
    headers: c.request.headers,
    claims: c.user?.claims ?? null,
  });
  if (decision.allowed) return undefined;
  return refuse('access_denied', `denied by AccessPolicy ${decision.policy}: ${decision.reason}`);
};
