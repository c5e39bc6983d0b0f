// Upstream conformance cases in the ported areas that Weft does not run, because it cannot
// express them by design; each with the reason. Shown in docs/routing.md (checked by
// test/docs/docs-match-data.test.ts) and printed by `npm run test:conformance`.
import type { NotExpressible } from './types.ts';

export const NOT_EXPRESSIBLE: NotExpressible[] = [
  {
    test: 'HTTPRouteRetryConnectionError',
    case: "1 request to '/retry/no-status-code-attempts-3' fails when required retries on connection errors exceed max attempts",
    reason:
      'Weft answers a connection the upstream reset `502 upstream_unavailable` (one status table for both planes, docs/pipeline.md); the case accepts only 500 or 503. The retries themselves are checked by case 0.',
  },
  {
    test: 'HTTPRouteListenerPortMatching',
    plane: 'gateway',
    reason: 'Edge routes match the host without its port, and a Worker serves one route table on every port: routes that differ only by listener port cannot be told apart.',
  },
  {
    test: 'HTTPRouteHTTPSListener',
    plane: 'gateway',
    reason: 'TLS at the edge is Cloudflare’s (certificates per zone, not per listener); a Worker sees requests after TLS, so routes cannot be attached to a certificate.',
  },
];
