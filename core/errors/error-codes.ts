// One table of the error codes every Weft HTTP surface answers with (gateway, sidecar,
// control) and the HTTP status each one means. An answer names its code; its status comes
// from here, so the same refusal is the same status on every plane. A few codes carry the
// status policy chose (fault injection's abort) or that the cause decides (authentication's
// 401 or 503): those pass it explicitly and the table holds the usual one.
export const ERROR_STATUS = {
  // request shape
  bad_request: 400,
  bad_json: 400,
  invalid_path: 400,
  body_too_large: 413,
  bad_csr: 400,
  csr_signature: 400,
  weak_key: 400,
  // routing
  no_route: 404,
  not_found: 404,
  unknown_service: 502,
  cors_rejected: 403,
  // who is calling
  unauthenticated: 401,
  missing_credentials: 401,
  invalid_token: 401,
  invalid_api_key: 401,
  invalid_join_token: 401,
  // a credential that did not verify (core/authn, edge tokens, JWT-SVIDs)
  malformed: 401,
  expired: 401,
  not_yet_valid: 401,
  wrong_issuer: 401,
  wrong_audience: 401,
  wrong_type: 401,
  algorithm_not_allowed: 401,
  unknown_key: 401,
  bad_signature: 401,
  mtls_required: 401,
  jwks_unavailable: 503,
  peer_refused: 403,
  // what they may do
  access_denied: 403,
  forbidden: 403,
  reserved_identity: 403,
  wrong_service: 403,
  wrong_spiffe_id: 403,
  rate_limited: 429,
  // policy's own answers
  fault_injected: 503,
  // the way upstream (Gateway API: a rule whose backends name nothing usable is 500, a
  // backend that exists but cannot take the request now is 503)
  no_snapshot: 503,
  no_backend: 500,
  no_endpoints: 500,
  no_healthy_endpoints: 503,
  circuit_open: 503,
  no_identity: 503,
  edge_identity_unavailable: 503,
  upstream_unavailable: 502,
  upstream_timeout: 504,
  app_unavailable: 502,
  // control's
  unknown_version: 404,
  unknown_instance: 404,
  nothing_pushed: 404,
  conflict: 409,
  invalid_policy: 422,
  trust_domain_mismatch: 422,
  precondition_required: 428,
  internal: 500,
  misconfigured: 500,
  storage: 500,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof ERROR_STATUS;

export function statusOf(code: ErrorCode): number {
  return ERROR_STATUS[code];
}
