// The gateway's whole policy decision for one request, in Node, with no I/O: normalizePath →
// runtime.edge.match → authenticate (a valid ES256 JWT, really verified by jose on every
// request) → runtime.access.decide → checkRateLimits (local, MemoryCounterStore). The same
// calls, in the same order and with the same inputs, as core's edge stages (core/pipeline/pipelines.ts) 1, 2, 4, 5
// and 6 (CORS, fault, header work and the proxy are left out).
//
// For N = 10 and 10 000 edge routes (a third prefix routes on exact and wildcard hosts, a
// third templates, a third told apart by a header, as in route-match.bench.ts) the policy set
// is compiled the way control does (loadPolicyYaml → compileDocuments → buildSnapshot) and made
// ready the way the gateway does (buildSnapshotRuntime). One Authentication (inline ES256
// JWKS, plus API keys), one allow AccessPolicy and one local RateLimit (a burst so large that
// nothing is ever denied) target every route. Variants, each timed per request:
//
//   JWT        the full decision with the cached JWT verification the gateway does: each of
//              the 16 users' tokens was verified once (ES256, Web Crypto) and is remembered
//              for the provider and key set (core/authn/verify-jwt.ts), as for a client that
//              sends its token on every request.
//   JWT, unseen token  the same, each request with a token the isolate has not verified yet
//              (2 048 tokens taken in turn, more than it remembers): a full ES256 verification
//              every time, what a flood of distinct users costs.
//   no JWT     the same minus authenticate(): the principal and claims a verification of that
//              request's token produced are handed to access and rate limits as they are.
//   API key    authenticate() with an x-api-key header instead (SHA-256 by Web Crypto).
//   route only normalizePath and the match (with the rule lookup): the routing share.
//   JWT + edge token  the full decision, then a fresh edge token (mintEdgeToken, an ES256
//              signature): what the gateway's edge-token stage pays once per user and service
//              every 30 s (it reuses a token for half its minute). Shown apart: it is not part
//              of the decision.
//
//   npx node bench/gateway-decision.bench.ts        (or: npm run bench -- gateway-decision)
//
// Bounded: REQUESTS requests per round and variant (or ROUND_CAP_MS, whichever comes first),
// ROUNDS rounds after a warm-up round; each median, p99 and rate is the best of its rounds.

import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { authenticate, forwardedClaimValues } from '../core/authn/authenticate.ts';
import { sha256Hex } from '../core/authn/api-key.ts';
import { VERIFIED_TOKENS_REMEMBERED } from '../core/authn/verify-jwt.ts';
import { quantile } from './support/run-lanes.ts';
import { JwksCache } from '../core/authn/jwks-cache.ts';
import { compileDocuments } from '../core/compile/compile.ts';
import { loadPolicyYaml } from '../core/policy/load-yaml.ts';
import type { CompiledTarget } from '../core/policy/shared/resolve-targets.ts';
import { MemoryCounterStore } from '../core/ratelimit/memory-counter-store.ts';
import { checkRateLimits } from '../core/ratelimit/rate-limit.ts';
import type { CounterStore } from '../core/ratelimit/counter-store.ts';
import { normalizePath } from '../core/route/normalize-path.ts';
import { mintEdgeToken } from '../core/identity/edge-token.ts';
import { formatSpiffeId } from '../core/identity/spiffe-id.ts';
import { generateSigningKeyPair, importSigningKey } from '../core/keys/signing-key.ts';
import type { SigningKey } from '../core/keys/signing-key.ts';
import { buildSnapshotRuntime } from '../core/runtime/snapshot-runtime.ts';
import type { SnapshotRuntime } from '../core/runtime/snapshot-runtime.ts';
import { buildSnapshot } from '../core/snapshot/build.ts';

const SIZES = [10, 10_000];
/** Distinct requests in the fixed set; each round walks it in order. */
const SET_SIZE = 512;
const REQUESTS = 3_000;
const ROUNDS = 3;
const ROUND_CAP_MS = 5_000;
const ISSUER = 'https://idp.bench.example';
const AUDIENCE = 'api.example.com';
const API_KEY = 'bench-partner-key-0001';

type Variant = 'JWT' | 'JWT, unseen token' | 'no JWT' | 'API key' | 'route only' | 'JWT + edge token';
const VARIANTS: Variant[] = ['JWT', 'JWT, unseen token', 'no JWT', 'API key', 'route only', 'JWT + edge token'];
/** More distinct tokens than VERIFIED_TOKENS_REMEMBERED, so that taken in turn none is remembered. */
const UNSEEN_TOKENS = 2 * VERIFIED_TOKENS_REMEMBERED;

interface BenchRequest {
  host: string;
  rawPath: string;
  method: string;
  /** Real Headers and URLSearchParams, as the gateway hands them on. */
  headers: Headers;
  apiKeyHeaders: Headers;
  query: URLSearchParams;
  clientIp: string;
  /** Route the request must land on. */
  route: string;
  /** What verifying its token yields (for the no-JWT variant), filled in before timing. */
  user?: { requestPrincipal: string; claims: Record<string, unknown>; apiKey: string | null };
}

/** Request k of the set targets a route spread over [0, n). */
function spread(n: number, k: number): number {
  return (k * 7919) % n;
}

function routeDoc(i: number): string {
  let hosts: string;
  let match: string;
  if (i % 3 === 0) {
    hosts = i % 2 === 0 ? 'api.example.com' : '"*.example.com"';
    match = `{ path: { prefix: /svc${i} } }`;
  } else if (i % 3 === 1) {
    hosts = 'api.example.com';
    match = `{ path: { template: "/api/v1/resource${i}/{id}/items/{item}" } }`;
  } else {
    hosts = 'hdr.example.com';
    match = `{ path: { prefix: /hdr${i % 10} }, headers: [{ name: x-tenant, exact: t${i} }] }`;
  }
  return `apiVersion: weft/v1\nkind: Route\nmetadata: { name: route-${i} }\nspec:\n  edge: { hosts: [${hosts}] }\n  rules:\n    - matches: [${match}]\n      backends: [{ service: api }]\n`;
}

function policyYaml(n: number, jwks: string, keyHash: string): string {
  const refs = Array.from({ length: n }, (_, i) => `    - { kind: Route, name: route-${i} }`).join('\n');
  const docs = [
    'apiVersion: weft/v1\nkind: Service\nmetadata: { name: api }\nspec:\n  port: 8080\n  endpoints: [{ address: 127.0.0.1, port: 8080 }]\n',
    ...Array.from({ length: n }, (_, i) => routeDoc(i)),
    [
      'apiVersion: weft/v1',
      'kind: Authentication',
      'metadata: { name: bench }',
      'spec:',
      '  targetRefs:',
      refs,
      '  jwt:',
      '    - name: idp',
      `      issuer: ${ISSUER}`,
      `      audiences: [${AUDIENCE}]`,
      '      algorithms: [ES256]',
      `      jwks: ${jwks}`,
      '      forwardClaims: [{ claim: sub, header: x-user-id }, { claim: plan, header: x-user-plan }]',
      '  apiKeys:',
      `    keys: [{ name: partner, sha256: ${keyHash}, claims: { plan: partner } }]`,
      '',
    ].join('\n'),
    [
      'apiVersion: weft/v1',
      'kind: AccessPolicy',
      'metadata: { name: bench-allow }',
      'spec:',
      '  targetRefs:',
      refs,
      '  action: allow',
      '  rules:',
      `    - from: { requestPrincipals: ["${ISSUER}/*", "apikey/*"] }`,
      '      to: { methods: [GET, POST] }',
      '',
    ].join('\n'),
    [
      'apiVersion: weft/v1',
      'kind: RateLimit',
      'metadata: { name: bench-local }',
      'spec:',
      '  targetRefs:',
      refs,
      '  limits:',
      '    - { name: per-ip, key: client-ip, requests: 1000000000, period: 1s, burst: 1000000000 }',
      '',
    ].join('\n'),
  ];
  return docs.join('---\n');
}

function requestFor(n: number, k: number, tokens: string[]): BenchRequest {
  const i = spread(n, k);
  let host = 'api.example.com';
  let rawPath: string;
  const extra: Record<string, string> = {};
  if (i % 3 === 0) {
    if (i % 2 === 1) host = `edge${k % 4}.example.com`;
    rawPath = `/svc${i}/items/${k}`;
  } else if (i % 3 === 1) {
    rawPath = `/api/v1/resource${i}/${k}/items/item-${k}`;
  } else {
    host = 'hdr.example.com';
    rawPath = `/hdr${i % 10}/orders/${k}`;
    extra['x-tenant'] = `t${i}`;
  }
  const clientIp = `198.51.100.${k % 64}`;
  const common = { accept: 'application/json', 'user-agent': 'weft-bench/1', 'cf-connecting-ip': clientIp, 'x-request-id': `req-${k}`, ...extra };
  return {
    host,
    rawPath,
    method: k % 5 === 0 ? 'POST' : 'GET',
    headers: new Headers({ ...common, authorization: `Bearer ${tokens[k % tokens.length] as string}` }),
    apiKeyHeaders: new Headers({ ...common, 'x-api-key': API_KEY }),
    query: new URLSearchParams(k % 2 === 0 ? 'page=2&sort=asc' : ''),
    clientIp,
    route: `default/route-${i}`,
  };
}

/** No global limits in this policy set: a global store must never be reached. */
const noGlobal: CounterStore = {
  take: () => Promise.reject(new Error('bench: unexpected global rate limit')),
};

const jwksCache = new JwksCache({ fetch: () => Promise.reject(new Error('bench: no network')) });
const local = new MemoryCounterStore();
let sink = 0;

let unseenTurn = 0;

/**
 * The request's headers with the next unseen token (the tokens go round in one order, so each
 * comes back only after UNSEEN_TOKENS uses). Copying the headers costs a microsecond or two,
 * against the verification's hundreds.
 */
function nextUnseen(r: BenchRequest): Headers {
  const headers = new Headers(r.headers);
  headers.set('authorization', `Bearer ${unseenTokens[unseenTurn++ % unseenTokens.length] as string}`);
  return headers;
}

/** One request through the decision; throws unless it is routed to its route and allowed. */
async function decide(runtime: SnapshotRuntime, r: BenchRequest, variant: Variant): Promise<void> {
  const normalized = normalizePath(r.rawPath, runtime.snapshot.body.mesh.pathNormalization);
  if (!normalized.ok) throw new Error(`bench: ${r.rawPath}: ${normalized.message}`);
  const path = normalized.path;
  const headers = variant === 'API key' ? r.apiKeyHeaders : variant === 'JWT, unseen token' ? nextUnseen(r) : r.headers;
  const method = r.method.toUpperCase();
  const hit = runtime.edge.match({ host: r.host, path, method, headers, query: r.query });
  const found = hit && runtime.rule(hit.target);
  if (!found) throw new Error(`bench: no route for ${r.host}${path}`);
  const targets: CompiledTarget[] = [{ kind: 'Route', id: found.route.id }];
  if (variant === 'route only') {
    sink += found.route.id.length;
    return;
  }

  let user = r.user;
  if (variant !== 'no JWT') {
    const auth = runtime.authentication(targets);
    if (!auth) throw new Error('bench: no Authentication on the route');
    const result = await authenticate(auth, { headers, query: r.query }, { jwks: jwksCache, now: Date.now });
    if (result.status !== 'authenticated') throw new Error(`bench: authentication ${result.status}${result.status === 'rejected' ? `: ${result.message}` : ''}`);
    user = { requestPrincipal: result.principal.requestPrincipal, claims: result.principal.claims, apiKey: result.apiKeyName };
    sink += result.removeHeaders.length;
  }
  if (!user) throw new Error('bench: no principal');

  const decision = runtime.access.decide(targets, {
    principal: null,
    requestPrincipal: user.requestPrincipal,
    clientIp: r.clientIp,
    host: r.host,
    method,
    path,
    headers,
    claims: user.claims,
  });
  if (!decision.allowed) throw new Error(`bench: denied: ${decision.reason}`);

  const limits = runtime.rateLimits(targets);
  const outcome = await checkRateLimits(
    limits,
    { clientIp: r.clientIp, apiKey: user.apiKey, principal: null, requestPrincipal: user.requestPrincipal, headers, claims: user.claims },
    { local, global: noGlobal },
    Date.now(),
  );
  if (!outcome.allowed || limits.length === 0) throw new Error('bench: rate limited');
  sink += found.route.id.length + Object.keys(outcome.headers).length;
  if (variant === 'JWT + edge token') {
    // As gateway/identity/edge-identity.ts when its token cache misses: the forwarded claims, then one signature.
    const claims = forwardedClaimValues(runtime.authentication(targets), user.claims);
    const token = await mintEdgeToken({
      gatewayId: 'spiffe://weft.local/ns/weft-system/sa/gateway',
      audience: formatSpiffeId(runtime.snapshot.body.mesh.trustDomain, 'default', 'api'),
      user: { requestPrincipal: user.requestPrincipal, claims },
      key: edgeKey,
    });
    sink += token.length;
  }
}

async function round(runtime: SnapshotRuntime, requests: BenchRequest[], variant: Variant, count: number, start: number): Promise<{ us: Float64Array }> {
  const us = new Float64Array(count);
  const deadline = performance.now() + ROUND_CAP_MS;
  let n = 0;
  while (n < count && performance.now() < deadline) {
    const r = requests[(start + n) % requests.length] as BenchRequest;
    const t0 = process.hrtime.bigint();
    await decide(runtime, r, variant);
    us[n++] = Number(process.hrtime.bigint() - t0) / 1000;
  }
  return { us: us.subarray(0, n).sort() };
}

function table(header: string[], body: string[][]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((row) => (row[c] ?? '').length)));
  const line = (cells: string[]) => cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

const scriptStart = performance.now();
const pair = await generateKeyPair('ES256');
const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'bench-1', alg: 'ES256' };
const jwks = JSON.stringify({ keys: [jwk] });
/** A user's token from the bench's issuer, good for an hour. */
function userToken(subject: string, plan: string): Promise<string> {
  return new SignJWT({ plan })
    .setProtectedHeader({ alg: 'ES256', kid: 'bench-1', typ: 'JWT' })
    .setIssuer(ISSUER)
    .setSubject(subject)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(pair.privateKey);
}
const tokens = await Promise.all(Array.from({ length: 16 }, (_, u) => userToken(`user-${u}`, u % 2 === 0 ? 'pro' : 'free')));
// Tokens of users the isolate has not seen: the same claims and lifetime, distinct subjects.
const unseenTokens = await Promise.all(Array.from({ length: UNSEEN_TOKENS }, (_, u) => userToken(`visitor-${u}`, 'pro')));
const keyHash = await sha256Hex(API_KEY);
const edgeKey: SigningKey = await importSigningKey((await generateSigningKeyPair('ES256')).privateJwk);

const buildRows: string[][] = [];
const prepared: { n: number; runtime: SnapshotRuntime; requests: BenchRequest[] }[] = [];

for (const n of SIZES) {
  const t0 = performance.now();
  const text = policyYaml(n, jwks, keyHash);
  const loaded = loadPolicyYaml('bench.yaml', text);
  if (loaded.errors.length > 0) throw new Error(`bench policy YAML: ${loaded.errors[0]?.message}`);
  const t1 = performance.now();
  const compiled = compileDocuments(loaded.documents);
  if (!compiled.ok) throw new Error(`bench policy invalid: ${compiled.errors[0]?.message}`);
  const snapshot = await buildSnapshot(compiled.body, { source: { message: 'gateway decision bench' } });
  const t2 = performance.now();
  const runtime = buildSnapshotRuntime(snapshot);
  const t3 = performance.now();
  buildRows.push([n.toLocaleString('en-US'), (text.length / 1e6).toFixed(2), (t1 - t0).toFixed(0), (t2 - t1).toFixed(0), (t3 - t2).toFixed(0)]);

  const requests = Array.from({ length: SET_SIZE }, (_, k) => requestFor(n, k, tokens));
  // Each request lands on its own route (or the comparison means nothing), and its token's
  // principal is kept for the no-JWT variant.
  for (const r of requests) {
    const normalized = normalizePath(r.rawPath, runtime.snapshot.body.mesh.pathNormalization);
    const path = normalized.ok ? normalized.path : '';
    const hit = runtime.edge.match({ host: r.host, path, method: r.method, headers: r.headers, query: r.query });
    const routed = hit && runtime.rule(hit.target)?.route.id;
    if (routed !== r.route) throw new Error(`N=${n}: ${r.method} ${r.host}${r.rawPath} went to ${routed ?? 'no route'}, expected ${r.route}`);
    const auth = runtime.authentication([{ kind: 'Route', id: r.route }]);
    const result = auth && (await authenticate(auth, { headers: r.headers, query: r.query }, { jwks: jwksCache, now: Date.now }));
    if (result?.status !== 'authenticated') throw new Error(`N=${n}: token not accepted`);
    r.user = { requestPrincipal: result.principal.requestPrincipal, claims: result.principal.claims, apiKey: null };
  }
  prepared.push({ n, runtime, requests });
}

// Rounds interleave sizes and variants, so a noisy neighbour on this shared machine slows
// all of them alike instead of one whole column; each statistic is the best of its rounds.
for (const { runtime, requests } of prepared) for (const variant of VARIANTS) await round(runtime, requests, variant, 1_000, 0); // warm-up, discarded
const best = new Map<string, { median: number; p99: number; mean: number; n: number }>();
for (let i = 0; i < ROUNDS; i++) {
  for (const { n, runtime, requests } of prepared) {
    for (const variant of VARIANTS) {
      const r = await round(runtime, requests, variant, REQUESTS, i * 97);
      const key = `${variant}@${n}`;
      const prior = best.get(key);
      const mean = r.us.reduce((a, x) => a + x, 0) / r.us.length;
      best.set(key, {
        median: Math.min(prior?.median ?? Infinity, quantile(r.us, 0.5)),
        p99: Math.min(prior?.p99 ?? Infinity, quantile(r.us, 0.99)),
        mean: Math.min(prior?.mean ?? Infinity, mean),
        n: Math.max(prior?.n ?? 0, r.us.length),
      });
    }
  }
}
const rows: string[][] = [];
const medians = new Map<string, number>();
const p99s = new Map<string, number>();
for (const n of SIZES)
  for (const variant of VARIANTS) {
    const b = best.get(`${variant}@${n}`);
    if (!b) continue;
    medians.set(`${variant}@${n}`, b.median);
    p99s.set(`${variant}@${n}`, b.p99);
    rows.push([variant, n.toLocaleString('en-US'), String(b.n), b.median.toFixed(1), b.p99.toFixed(1), (1e6 / b.mean).toFixed(0)]);
  }

const ratioRows = VARIANTS.map((v) => {
  const m10 = medians.get(`${v}@10`) ?? NaN;
  const m10k = medians.get(`${v}@10000`) ?? NaN;
  const p10 = p99s.get(`${v}@10`) ?? NaN;
  const p10k = p99s.get(`${v}@10000`) ?? NaN;
  return [v, (m10k / m10).toFixed(2), (p10k / p10).toFixed(2)];
});
const jwtCost = SIZES.map((n) => {
  const withJwt = medians.get(`JWT@${n}`) ?? NaN;
  const without = medians.get(`no JWT@${n}`) ?? NaN;
  const apiKey = medians.get(`API key@${n}`) ?? NaN;
  const edge = medians.get(`JWT + edge token@${n}`) ?? NaN;
  const unseenJwt = medians.get(`JWT, unseen token@${n}`) ?? NaN;
  return [n.toLocaleString('en-US'), (withJwt - without).toFixed(1), `${((1 - without / withJwt) * 100).toFixed(0)}%`, (unseenJwt - without).toFixed(1), (apiKey - without).toFixed(1), (edge - withJwt).toFixed(1)];
});

console.log(`## gateway policy decision in Node ${process.version} (no I/O): normalize → match → authenticate → access → local rate limit`);
console.log(`${SET_SIZE} distinct requests (all routed and allowed), up to ${REQUESTS} per round and variant, ${ROUNDS} interleaved rounds after a warm-up; each figure is its best round\n`);
console.log(table(['routes', 'YAML MB', 'parse ms', 'compile+snapshot ms', 'runtime build ms'], buildRows));
console.log();
console.log(table(['variant', 'routes', 'n', 'median µs', 'p99 µs', 'req/s (1 core, mean)'], rows));
console.log();
console.log(table(['variant', 'median 10k/10', 'p99 10k/10'], ratioRows));
console.log();
console.log(table(['routes', 'cached JWT verify µs (JWT − no JWT)', 'share of the decision', 'unseen JWT verify µs (unseen − no JWT)', 'API key µs (API key − no JWT)', 'edge token µs (+edge − JWT)'], jwtCost));
console.log(`(${((performance.now() - scriptStart) / 1000).toFixed(1)} s; checksum ${sink}; ${local.size} rate-limit buckets)`);
