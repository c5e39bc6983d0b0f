// Stage 5: access policy on the matched route (core/access: deny wins; any allow policy on a
// target denies what it does not allow). Client IP comes from CF-Connecting-IP, which the
// Cloudflare edge sets and clients cannot.
import { jsonError } from './json-error.ts';
import type { Stage } from './context.ts';

export const authorizeStage: Stage = (c) => {
  const decision = c.runtime.access.decide(c.targets, {
    principal: null,
    requestPrincipal: c.user?.requestPrincipal ?? null,
    clientIp: c.clientIp,
    host: c.host,
    method: c.request.method.toUpperCase(),
    path: c.path,
    headers: c.request.headers,
    claims: c.user?.claims ?? null,
  });
  if (decision.allowed) return undefined;
  return jsonError(403, 'forbidden', `denied by AccessPolicy ${decision.policy}: ${decision.reason}`);
};
