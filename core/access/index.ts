// Access decisions in core: AccessPolicy with Istio AuthorizationPolicy semantics.
export { clientIpBytes, compilePath, createAccessEvaluator } from './compile-access.ts';
export type { AccessDecision, AccessEvaluator, AccessRequest } from './compile-access.ts';
