// The policy kinds Weft knows, in compile order (Mesh first: it supplies defaults). Adding a
// kind means a folder under core/policy/ and a line here (plus its compile call).
import { accessPolicyDocument } from './access-policy/schema.ts';
import { authenticationDocument } from './authentication/schema.ts';
import { meshDocument } from './mesh/schema.ts';
import { rateLimitDocument } from './rate-limit/schema.ts';
import { routeDocument } from './route/schema.ts';
import { serviceDocument } from './service/schema.ts';

export const POLICY_KINDS = [
  { kind: 'Mesh', slug: 'mesh', document: meshDocument },
  { kind: 'Service', slug: 'service', document: serviceDocument },
  { kind: 'Route', slug: 'route', document: routeDocument },
  { kind: 'Authentication', slug: 'authentication', document: authenticationDocument },
  { kind: 'AccessPolicy', slug: 'access-policy', document: accessPolicyDocument },
  { kind: 'RateLimit', slug: 'rate-limit', document: rateLimitDocument },
] as const;

export type PolicyKindName = (typeof POLICY_KINDS)[number]['kind'];

export function findKind(kind: unknown) {
  return POLICY_KINDS.find((k) => k.kind === kind);
}
