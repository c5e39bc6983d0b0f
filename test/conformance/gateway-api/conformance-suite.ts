// Runs the Gateway API conformance groups against one data plane, as vitest tests: one test per
// upstream case (named `<ShortName>/<upstream case name>`), one policy push per group (made by
// the group's first test; a push the compiler refuses fails every case of the group with the
// compiler's message). The plane is the tiny interface below: the gateway Worker in workerd
// (test/workers/) and a sidecar outbound on 127.0.0.1 (test/sidecar/) implement it. Nothing here
// is runtime-specific: Web APIs only.
import { describe, expect, it } from 'vitest';
import { compareRoundTrip } from './compare-round-trip.ts';
import type { CapturedRequest, CapturedResponse, SentRequest } from './compare-round-trip.ts';
import { groupPolicy, MESH_SERVICE } from './policy.ts';
import { caseName, GRPC_ECHO_SERVICE, runsOn } from './types.ts';
import type { BackendHeaderCase, ConformanceGroup, ExpectedResponse, GrpcCase, GrpcEchoMethod, GrpcWeightsCase, HttpRequest, PercentMirrorCase, PlaneName, WeightsCase } from './types.ts';

/** The host a gateway-plane request carries when its case names none (upstream: the Gateway's address). */
export const DEFAULT_EDGE_HOST = 'gateway.conformance.test';

export interface PlaneRequest {
  scheme: 'http' | 'https';
  /** The Host header, with the port when not the scheme's default. */
  authority: string;
  method: string;
  path: string;
  headers: Record<string, string>;
}

export interface PlaneAnswer {
  /** The URL the request was made to (a relative Location resolves against it). */
  url: string;
  response: CapturedResponse;
  /** What the echo backend saw, when a backend answered. */
  seen: CapturedRequest | null;
}

export interface ConformancePlane {
  name: PlaneName;
  /** The echo backends' ports on 127.0.0.1, by backend name. */
  ports: Readonly<Record<string, number>>;
  /** Puts these policy documents in force (replacing the last ones) and waits until they are. */
  apply(documents: string[]): Promise<void>;
  roundTrip(request: PlaneRequest): Promise<PlaneAnswer>;
  /** How many requests for `url` (path and query) `backend` has received, once at least `count` have or a few seconds passed. */
  mirrored(backend: string, url: string, count: number): Promise<number>;
  /** One native gRPC call of GrpcEcho's `method` with `metadata`, on planes that take native gRPC. */
  grpcCall?(method: GrpcEchoMethod, metadata: Record<string, string>): Promise<GrpcAnswer>;
}

export interface GrpcAnswer {
  code: number;
  /** The answering server's name and the method it saw, when the call succeeded. */
  backend: string | null;
  fullyQualifiedMethod: string | null;
}

function uuid(): string {
  return crypto.randomUUID();
}

/** Upstream's AddRequestIDQueryParam: the query re-encoded with keys sorted, as Go's url.Values.Encode does. */
function withRequestId(path: string, id: string): string {
  const [p, q] = path.split('?', 2) as [string, string | undefined];
  const query = new URLSearchParams(q ?? '');
  query.set('gateway-api-conformance-request-id', id);
  query.sort();
  return `${p}?${query.toString()}`;
}

function planeRequest(plane: ConformancePlane, group: ConformanceGroup, r: HttpRequest, path: string, extraHeaders: Record<string, string> = {}): PlaneRequest {
  const listener = plane.name === 'gateway' ? (group.listener ?? { scheme: 'http', port: 80 }) : { scheme: 'http' as const, port: 80 };
  const host = plane.name === 'sidecar' ? MESH_SERVICE : (r.host ?? DEFAULT_EDGE_HOST);
  const defaultPort = listener.scheme === 'https' ? 443 : 80;
  // A case's Host with a port keeps it; else the listener's port shows unless it is the default.
  const authority = host.includes(':') || listener.port === defaultPort ? host : `${host}:${listener.port}`;
  return { scheme: listener.scheme, authority, method: r.method ?? 'GET', path, headers: { ...r.headers, ...extraHeaders } };
}

/** The case with upstream's request id added to the request's path and the expected one's (AddRequestIDQueryParam). */
function withRequestIdParam(e: ExpectedResponse, id: string): ExpectedResponse {
  const path = withRequestId(e.request.path, id);
  const expectedRequest = e.expectedRequest && { ...e.expectedRequest, path: e.expectedRequest.path ? withRequestId(e.expectedRequest.path, id) : path };
  return { ...e, request: { ...e.request, path }, ...(expectedRequest ? { expectedRequest } : {}) };
}

/** One round trip, checked as upstream checks it. */
async function roundTripCase(plane: ConformancePlane, group: ConformanceGroup, e: ExpectedResponse): Promise<void> {
  const echoHeaders: Record<string, string> = e.backendSetResponseHeaders
    ? { 'X-Echo-Set-Header': Object.entries(e.backendSetResponseHeaders).map(([k, v]) => `${k}:${v}`).join(',') }
    : {};
  const path = e.request.path;
  const req = planeRequest(plane, group, e.request, path, echoHeaders);
  const answer = await plane.roundTrip(req);
  // A mesh call names the service whatever Host the case gave: that is the Host a backend should see.
  const host = e.request.host === undefined ? undefined : plane.name === 'sidecar' ? MESH_SERVICE : e.request.host;
  const sent: SentRequest = { scheme: req.scheme, method: req.method, host, path };
  const problem = compareRoundTrip(e, sent, answer.url, answer.response, answer.seen);
  expect(problem, `${req.method} ${req.scheme}://${req.authority}${path} → ${answer.response.status} ${JSON.stringify(answer.seen ?? answer.response.headers)}`).toBeNull();
}

async function requestCase(plane: ConformancePlane, group: ConformanceGroup, c: ExpectedResponse): Promise<void> {
  const fresh = { ...c, request: { ...c.request, path: c.request.path.replaceAll('{uuid}', uuid()) } };
  const e = c.mirroredTo ? withRequestIdParam(fresh, uuid()) : fresh;
  await roundTripCase(plane, group, e);
  for (const m of e.mirroredTo ?? []) expect(await plane.mirrored(m.name, e.request.path, 1), `a copy of ${e.request.path} at ${m.name}`).toBeGreaterThanOrEqual(1);
}

/** Runs `n` tasks, `width` at a time. */
async function pool<T>(n: number, width: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array<T>(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < n) {
        const i = next++;
        out[i] = await task(i);
      }
    }),
  );
  return out;
}

const MAX_DISTRIBUTION_TRIES = 10; // weight.MaxTestRetries

function grpcCaller(plane: ConformancePlane): NonNullable<ConformancePlane['grpcCall']> {
  if (!plane.grpcCall) throw new Error(`the ${plane.name} plane takes no native gRPC calls`);
  return plane.grpcCall.bind(plane);
}

/** grpc.compareResponse: the status; for OK, the method the server saw and the backend that answered. */
async function grpcCase(plane: ConformancePlane, c: GrpcCase): Promise<void> {
  const answer = await grpcCaller(plane)(c.method, c.requestMetadata?.metadata ?? {});
  expect(answer.code, 'gRPC status code').toBe(c.code ?? 0);
  if (answer.code !== 0) return;
  expect(answer.fullyQualifiedMethod).toBe(`/${GRPC_ECHO_SERVICE}/${c.method}`);
  expect(answer.backend?.startsWith(c.backend ?? ''), `answered by ${answer.backend}, expected ${c.backend}`).toBe(true);
}

/** weight.TestWeightedDistribution: 500 requests, 10 at a time; every backend within 5 points of its weight, none extra. */
async function distributionCase(expectedWeights: Record<string, number>, send: () => Promise<string>): Promise<void> {
  const total = 500;
  let problems: string[] = [];
  for (let attempt = 0; attempt < MAX_DISTRIBUTION_TRIES; attempt++) {
    const backends = await pool(total, 10, send);
    const seen = new Map<string, number>();
    for (const b of backends) seen.set(b, (seen.get(b) ?? 0) + 1);
    const active = Object.values(expectedWeights).filter((w) => w > 0).length;
    problems = [];
    if (seen.size !== active) problems.push(`expected ${active} backends to receive traffic, but got ${seen.size} (${JSON.stringify(Object.fromEntries(seen))})`);
    for (const [backend, want] of Object.entries(expectedWeights)) {
      const got = (seen.get(backend) ?? 0) / total;
      if (want !== 0 && got === 0) problems.push(`expect traffic to hit backend "${backend}" - but none was received`);
      else if (Math.abs(got - want) > 0.05) problems.push(`backend "${backend}" weighted traffic of ${got} not within tolerance ${want} (+/-0.05)`);
    }
    if (problems.length === 0) return;
  }
  expect(problems).toEqual([]);
}

function weightsCase(plane: ConformancePlane, group: ConformanceGroup, c: WeightsCase): Promise<void> {
  return distributionCase(c.expectedWeights, async () => {
    const answer = await plane.roundTrip(planeRequest(plane, group, c.request, c.request.path, { 'X-Jitter': uuid() }));
    if (answer.response.status !== 200 || !answer.seen) throw new Error(`expected 200 from a backend, got ${answer.response.status}`);
    return answer.seen.backend;
  });
}

function grpcWeightsCase(plane: ConformancePlane, c: GrpcWeightsCase): Promise<void> {
  const call = grpcCaller(plane);
  return distributionCase(c.expectedWeights, async () => {
    const answer = await call('Echo', { 'X-Jitter': uuid() });
    if (answer.code !== 0 || !answer.backend) throw new Error(`expected OK response, got ${answer.code}`);
    return answer.backend;
  });
}

/** HTTPRouteRequestHeaderModifierBackendWeights: 100 requests; each reaches the backend its `Backend` header names. */
async function backendHeaderCase(plane: ConformancePlane, group: ConformanceGroup, c: BackendHeaderCase): Promise<void> {
  for (let i = 0; i < c.requests; i++) {
    const answer = await plane.roundTrip(planeRequest(plane, group, c.request, c.request.path));
    expect(answer.response.status).toBe(200);
    const named = answer.seen?.headers[c.header.toLowerCase()];
    expect(named?.split(',').length, `a single '${c.header}' header, got ${named}`).toBe(1);
    expect(answer.seen?.backend.startsWith(named ?? '\0'), `sent to ${answer.seen?.backend}, header says ${named}`).toBe(true);
  }
}

/** HTTPRouteRequestPercentageMirror: 500 requests; the mirror gets p × 500 of them, within 3 standard deviations (5 tries). */
async function percentMirrorCase(plane: ConformancePlane, group: ConformanceGroup, c: PercentMirrorCase): Promise<void> {
  const e = c.expected;
  const [mirror] = e.mirroredTo;
  await roundTripCase(plane, group, e);
  const total = 500;
  const p = mirror.percent / 100;
  const margin = 3 * Math.sqrt(total * p * (1 - p));
  const [min, max] = [total * p - margin, total * p + margin];
  let got = 0;
  for (let attempt = 0; attempt < 5; attempt++) {
    const tagged = withRequestIdParam(e, uuid());
    await pool(total, 10, () => roundTripCase(plane, group, tagged));
    // Copies go out beside the primary requests: wait (bounded) until the band's floor has arrived.
    got = await plane.mirrored(mirror.name, tagged.request.path, Math.ceil(min));
    if (got >= min && got <= max) return;
  }
  expect(got, `mirrored to ${mirror.name}: expected between ${min} and ${max}`).toBeGreaterThanOrEqual(min);
  expect(got, `mirrored to ${mirror.name}: expected between ${min} and ${max}`).toBeLessThanOrEqual(max);
}

/** Registers one vitest test per case of `groups` that runs on `plane`. */
export function describeGatewayApiConformance(plane: () => ConformancePlane, groups: readonly ConformanceGroup[], planeName: PlaneName): void {
  for (const group of groups) {
    const cases = group.cases.map((c, i) => ({ c, name: caseName(c, i) })).filter(({ c }) => runsOn(group, c, planeName));
    if (cases.length === 0) continue;
    describe(group.test, () => {
      let ready: Promise<void> | undefined;
      const applied = () => (ready ??= plane().apply(groupPolicy(group, planeName, plane().ports)));
      for (const { c, name } of cases) {
        it(name, async () => {
          await applied();
          const p = plane();
          if (c.kind === 'weights') return weightsCase(p, group, c);
          if (c.kind === 'backend-header') return backendHeaderCase(p, group, c);
          if (c.kind === 'percent-mirror') return percentMirrorCase(p, group, c);
          if (c.kind === 'grpc') return grpcCase(p, c);
          if (c.kind === 'grpc-weights') return grpcWeightsCase(p, c);
          return requestCase(p, group, c);
        });
      }
    });
  }
}
