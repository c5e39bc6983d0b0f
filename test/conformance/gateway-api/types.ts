// The shape of the Gateway API conformance cases ported into Weft: each group is one upstream
// conformance test (its ShortName), its HTTPRoutes translated into Weft Route rules, and its
// list of expected responses kept as close to the upstream Go structures
// (conformance/utils/http/http.go: ExpectedResponse, Request, ExpectedRequest, Response) as
// TypeScript allows, so a case reads like its source. Pure data: no runtime imports.

export type PlaneName = 'gateway' | 'sidecar';

export const PLANES: readonly PlaneName[] = ['gateway', 'sidecar'];

/** The planes a case runs on, and why not on the others; no planes: Weft cannot express it at all. */
export interface PlaneLimit {
  planes: PlaneName[];
  why: string;
}

/** http.Request: the request to make. `path` may hold a query; `{uuid}` in it is a fresh UUID per run. */
export interface HttpRequest {
  host?: string;
  method?: string;
  path: string;
  headers?: Record<string, string>;
  unfollowRedirect?: boolean;
}

/** http.ExpectedRequest: what should arrive at the backend (the request itself when omitted). */
export interface ExpectedRequest extends Partial<HttpRequest> {
  absentHeaders?: string[];
}

/** http.Response. `statusCode` is upstream's deprecated single code, kept apart because the case name shows only `statusCodes`. */
export interface ExpectedHttpResponse {
  statusCode?: number;
  statusCodes?: number[];
  headers?: Record<string, string>;
  validHeaderValues?: Record<string, string[]>;
  absentHeaders?: string[];
  ignoreWhitespace?: boolean;
}

/** roundtripper.RedirectRequest: the parts of the Location to check (the request's own when omitted). */
export interface RedirectRequest {
  scheme?: string;
  host?: string;
  port?: string;
  path?: string;
}

export interface MirroredBackend {
  name: string;
  /** Share of requests mirrored (percentage mirrors only). */
  percent?: number;
}

/** http.ExpectedResponse: one request and what must come of it. */
export interface ExpectedResponse {
  kind?: 'request';
  testCaseName?: string;
  request: HttpRequest;
  expectedRequest?: ExpectedRequest;
  redirectRequest?: RedirectRequest;
  backendSetResponseHeaders?: Record<string, string>;
  response?: ExpectedHttpResponse;
  backend?: string;
  mirroredTo?: MirroredBackend[];
  only?: PlaneLimit;
}

/** A weighted split (weight.TestWeightedDistribution): 500 requests, each backend's share within ±5 points. */
export interface WeightsCase {
  kind: 'weights';
  testCaseName: string;
  request: HttpRequest;
  expectedWeights: Record<string, number>;
  only?: PlaneLimit;
}

/** Percentage mirroring (HTTPRouteRequestPercentageMirror): 500 requests, mirrored share within 3 standard deviations. */
export interface PercentMirrorCase {
  kind: 'percent-mirror';
  expected: ExpectedResponse & { mirroredTo: [Required<MirroredBackend>] };
  only?: PlaneLimit;
}

/** Every request carries the header its backend's own filter set, and reaches that backend (HTTPRouteRequestHeaderModifierBackendWeights). */
export interface BackendHeaderCase {
  kind: 'backend-header';
  testCaseName: string;
  request: HttpRequest;
  header: string;
  requests: number;
  only?: PlaneLimit;
}

/** The GrpcEcho methods of upstream's gRPC echo server (test/fixtures/grpc/grpcecho.proto). */
export type GrpcEchoMethod = 'Echo' | 'EchoTwo' | 'EchoThree';

export const GRPC_ECHO_SERVICE = 'gateway_api_conformance.echo_basic.grpcecho.GrpcEcho';

/** grpc.ExpectedResponse (conformance/utils/grpc/grpc.go): one unary call, its status, the backend that answered. */
export interface GrpcCase {
  kind: 'grpc';
  testCaseName?: string;
  method: GrpcEchoMethod;
  /** The :authority upstream sets (only its case name shows it: a mesh call names the service) and the metadata sent. */
  requestMetadata?: { authority?: string; metadata?: Record<string, string> };
  backend?: string;
  /** The gRPC status code expected; OK when omitted. */
  code?: number;
  only?: PlaneLimit;
}

/** GRPCRouteWeight: 500 Echo calls, each backend's share within ±5 points of its weight. */
export interface GrpcWeightsCase {
  kind: 'grpc-weights';
  testCaseName: string;
  expectedWeights: Record<string, number>;
  only?: PlaneLimit;
}

export type ConformanceCase = ExpectedResponse | WeightsCase | PercentMirrorCase | BackendHeaderCase | GrpcCase | GrpcWeightsCase;

/** A Weft Route translated from one HTTPRoute: `hosts` are its edge hosts (hostnames ∩ listener hostnames; `*` when none). */
export interface WeftRoute {
  name: string;
  hosts?: string[];
  /** Route rules as Weft's schema takes them (docs/policies.md#route); the compiler checks them. */
  rules: Record<string, unknown>[];
}

export interface ConformanceGroup {
  /** The upstream test's ShortName. */
  test: string;
  /** The upstream files it translates, under conformance/tests/ of kubernetes-sigs/gateway-api. */
  source: string[];
  /** The planes the whole group runs on, when not both. */
  only?: PlaneLimit;
  /** Where the gateway receives the requests: the listener's scheme and port (http on 80 when omitted). */
  listener?: { scheme: 'http' | 'https'; port: number };
  routes: WeftRoute[];
  cases: ConformanceCase[];
  /** How a Gateway API feature was written in Weft, where not one field for one field. */
  translation?: string;
}

/** A case Weft does not run, and why: the "not expressible" list (docs/routing.md). */
export interface NotExpressible {
  test: string;
  /** The upstream case name; the whole test when omitted. */
  case?: string;
  reason: string;
}

/** The case's upstream name, as GetTestCaseName (conformance/utils/http/http.go) makes it. */
export function caseName(c: ConformanceCase, i: number): string {
  if (c.kind === 'weights' || c.kind === 'backend-header' || c.kind === 'grpc-weights') return c.testCaseName;
  if (c.kind === 'grpc') return grpcCaseName(c, i);
  const e = c.kind === 'percent-mirror' ? c.expected : c;
  if (e.testCaseName) return e.testCaseName;
  const req = `${i} request to '${e.request.host ?? ''}${e.request.path}'${e.request.headers ? ' with headers' : ''}`;
  // Go prints the StatusCodes slice as it is before MakeRequest fills it in: [] for a case that set only StatusCode.
  return e.backend ? `${req} should go to ${e.backend}` : `${req} should receive one of [${(e.response?.statusCodes ?? []).join(' ')}]`;
}

/** Whether the case runs on `plane` (its group's limit and its own). */
export function runsOn(group: ConformanceGroup, c: ConformanceCase, plane: PlaneName): boolean {
  return (group.only?.planes ?? PLANES).includes(plane) && (c.only?.planes ?? PLANES).includes(plane);
}

/** Go's codes.Code String() for the statuses the cases expect. */
const GRPC_CODE_NAMES: Record<number, string> = { 0: 'OK', 12: 'Unimplemented', 14: 'Unavailable' };

/** The case's upstream name, as the gRPC GetTestCaseName (conformance/utils/grpc/grpc.go) makes it. */
function grpcCaseName(c: GrpcCase, i: number): string {
  if (c.testCaseName) return c.testCaseName;
  const md = c.requestMetadata?.metadata ?? {};
  const keys = Object.keys(md).sort();
  const headers = keys.length > 0 ? ` with headers '{${keys.map((k) => `${k}:${md[k]}`).join(',')}}'` : '';
  const req = `${i} request to '${c.requestMetadata?.authority ?? ''}/${GRPC_ECHO_SERVICE}/${c.method}'${headers}`;
  const code = c.code ?? 0;
  return c.backend ? `${req} should go to ${c.backend}` : `${req} should receive a ${GRPC_CODE_NAMES[code] ?? `Code(${code})`} (${code})`;
}
