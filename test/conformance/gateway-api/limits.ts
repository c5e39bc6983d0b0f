// Why a conformance case runs on one plane only: reasons shared by the case files, so the
// generated list in docs/routing.md names each reason once.
import type { PlaneLimit } from './types.ts';

/** Routes chosen by hostname or listener: a mesh route is chosen by the service called. */
export const HOSTNAMES_AT_EDGE: PlaneLimit = {
  planes: ['gateway'],
  why: 'Hostnames and listeners choose edge routes; a mesh route is chosen by the service called, whatever its Host.',
};

/** Listeners on other ports or schemes are a gateway's. */
export const LISTENERS_AT_EDGE: PlaneLimit = {
  planes: ['gateway'],
  why: 'A listener on another port or scheme is the gateway’s; mesh callers reach a service on its own port over plain HTTP (mTLS is the sidecars’).',
};

/** CORS is an edge policy. */
export const CORS_AT_EDGE: PlaneLimit = {
  planes: ['gateway'],
  why: 'CORS applies at the edge only (browsers call the edge; `cors` on a mesh route is refused by the compiler).',
};

/** Native gRPC clients reach the mesh, not the gateway. */
export const GRPC_IN_MESH: PlaneLimit = {
  planes: ['sidecar'],
  why: 'Upstream’s client speaks native gRPC (HTTP/2 with trailers) to the gateway; Weft’s gateway takes gRPC calls as gRPC-Web only ([gateway.md](gateway.md)), so GRPCRoute cases run in the mesh, where apps call over h2c.',
};

/** Not expressible: the status of a reset upstream. */
export const RESET_IS_502: PlaneLimit = {
  planes: [],
  why: 'Weft answers a connection the upstream reset `502 upstream_unavailable` (one status table for both planes, [pipeline.md](pipeline.md)); the case accepts only 500 or 503. The retries themselves are checked by case 0.',
};

/** Not expressible: a second listener port's own redirects. */
export const ONE_LISTENER_PORT: PlaneLimit = {
  planes: [],
  why: 'A gateway Worker has one listener port, `LISTENER_PORT` (else 443/80 by scheme): it cannot tell a request that came in on 8080 from one on 80, so a redirect without scheme or port keeps the one configured port ([gateway.md](gateway.md#redirects)).',
};
