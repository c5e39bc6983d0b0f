// Upstream conformance tests in the ported areas that Weft does not run at all, because it
// cannot express them by design; each with the reason. (Single cases that Weft cannot express
// stay in their case files, with no planes to run on, so they keep their upstream names.)
// Shown in docs/routing.md and printed by `npm run test:conformance`.
import type { NotExpressible } from './types.ts';

export const NOT_EXPRESSIBLE_TESTS: NotExpressible[] = [
  {
    test: 'HTTPRouteListenerPortMatching',
    reason:
      'Edge routes match the host without its port, and a Worker serves one route table on every port: routes that differ only by listener port cannot be told apart. Mesh routes are chosen by the service called.',
  },
  {
    test: 'HTTPRouteHTTPSListener',
    reason: 'TLS at the edge is Cloudflare’s (certificates per zone, not per listener); a Worker sees requests after TLS, so a route cannot be attached to a certificate.',
  },
  {
    test: 'GRPCRouteListenerHostnameMatching',
    reason: 'Listener hostnames choose edge routes, and the gateway takes gRPC-Web only, not upstream’s native gRPC client; a mesh route is chosen by the service called.',
  },
];
