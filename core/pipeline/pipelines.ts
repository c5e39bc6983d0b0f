// The request pipelines of both data planes, as lists of core's stages. A stage that answers
// ends its pipeline; a request that passes them all has been delivered by the last stage.
// The gateway runs EDGE_STAGES; a sidecar runs outboundStages for its app's calls and
// INBOUND_STAGES for calls to its app.
import type { Answer } from './answer.ts';
import type { PipelineContext, Stage } from './context.ts';
import { appIdentityHeadersStage } from './stages/app-identity-headers.ts';
import { attemptsStage } from './stages/attempts.ts';
import { authenticateStage } from './stages/authenticate.ts';
import { authorizeStage } from './stages/authorize.ts';
import { callerIdentityStage } from './stages/caller-identity.ts';
import { corsStage } from './stages/cors.ts';
import { destinationStage } from './stages/destination.ts';
import { faultStage } from './stages/fault.ts';
import { forwardingHeadersStage } from './stages/forwarding-headers.ts';
import { identityStage } from './stages/identity.ts';
import { matchEdgeRouteStage, matchMeshRouteStage } from './stages/match-route.ts';
import { normalizePathStage } from './stages/normalize-path.ts';
import { pickBackendStage } from './stages/pick-backend.ts';
import { rateLimitStage } from './stages/rate-limit.ts';
import { redirectStage } from './stages/redirect.ts';
import { requestHeadersStage } from './stages/request-headers.ts';
import { requestSizeStage } from './stages/request-size.ts';
import { toAppStage } from './stages/to-app.ts';

export const EDGE_STAGES: readonly Stage[] = [
  normalizePathStage, // one normalization for routing and access policy; bad paths 400
  matchEdgeRouteStage, // route by host; no match 404
  corsStage, // preflights answered, allow headers added
  requestSizeStage, // declared body over maxRequestBytes 413; an undeclared one is counted
  authenticateStage, // JWT / API key; 401
  authorizeStage, // access policy; 403
  rateLimitStage, // local and global limits; 429
  faultStage, // fault injection (delay, abort)
  redirectStage, // redirect rules answer
  forwardingHeadersStage, // x-forwarded-*, traceparent
  pickBackendStage, // backend by relative weight (canary)
  requestHeadersStage, // rewrite, the rule's then that backend's request header operations
  identityStage, // edge token for the user, the gateway's JWT-SVID, for that backend
  attemptsStage, // endpoint, breaker, tries with timeouts and retries, mirrors
];

/** The app's calls to other services; `namespace` is this workload's (a bare service name is in it). */
export function outboundStages(namespace: string): readonly Stage[] {
  return [
    destinationStage(namespace), // the service the app named; registry-only, unknown 502
    normalizePathStage, // bad paths 400
    matchMeshRouteStage, // the service's mesh route rule, else its direct rule
    requestSizeStage, // declared body over maxRequestBytes 413; an undeclared one is counted
    faultStage, // fault injection (delay, abort)
    redirectStage, // redirect rules answer
    forwardingHeadersStage, // x-forwarded-*, traceparent
    pickBackendStage, // backend by relative weight (canary)
    requestHeadersStage, // rewrite, the rule's then that backend's request header operations
    identityStage, // this workload's JWT-SVID for that backend
    attemptsStage, // endpoint, breaker, tries with timeouts and retries, mirrors
  ];
}

export const INBOUND_STAGES: readonly Stage[] = [
  normalizePathStage, // what policy sees is what the app gets; bad paths 400
  callerIdentityStage, // mTLS peer or JWT-SVID, edge token, strict mode; 401
  matchMeshRouteStage, // the mesh rule the caller's sidecar routed by: a policy target too
  requestSizeStage, // that rule's maxRequestBytes, else the Mesh default; 413
  authenticateStage, // the Service's or route's end-user Authentication; 401
  authorizeStage, // access policy; 403
  rateLimitStage, // local and mesh-wide limits; 429
  forwardingHeadersStage, // x-forwarded-for, traceparent
  appIdentityHeadersStage, // verified caller and user for the app
  toAppStage, // the app, once
];

/** Runs the stages in order until one answers; synchronous as long as every stage is. */
export function runStages(stages: readonly Stage[], c: PipelineContext): Answer | undefined | Promise<Answer | undefined> {
  for (let i = 0; i < stages.length; i++) {
    const r = (stages[i] as Stage)(c);
    if (r instanceof Promise) return r.then((answer) => answer ?? runStages(stages.slice(i + 1), c));
    if (r) return r;
  }
  return undefined;
}
