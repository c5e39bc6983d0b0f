// Route compile step: references to Services checked, paths and regexes validated against
// the same normalization and pattern code the data planes use, and timeouts, retries and the
// body limit filled from the Mesh defaults. Backend weights are kept as written: relative
// (Gateway API), the picker draws in proportion to them.
import type { CompileContext } from '../compile-context.ts';
import { refId } from '../compile-context.ts';
import type { TypedDocument } from '../document.ts';
import type { PathSegment } from '../errors.ts';
import { mergeRetries } from '../mesh/compile.ts';
import { ms } from '../shared/duration.ts';
import { compileHeaderOps } from '../shared/header-ops.ts';
import { repeatedNames } from '../shared/duplicates.ts';
import type { CompiledHeaderOps } from '../shared/header-ops.ts';
import type { CompiledRetries } from '../shared/resilience.ts';
import { grpcMethodPath } from '../../grpc/method-path.ts';
import { DEFAULT_TUNNEL_LIMITS } from '../../http/websocket-upgrade.ts';
import type { TunnelLimits } from '../../http/websocket-upgrade.ts';
import { clampPerTryTimeout, perTryOutlastsTimeout } from '../../resilience/deadline.ts';
import { checkPattern, checkTemplate, normalizePath } from '../../route/index.ts';
import type { PathMatch, ValueMatch } from '../../route/types.ts';
import type { RouteRuleSpec, RouteSpec } from './schema.ts';

export interface CompiledMatch {
  path: PathMatch;
  methods: string[];
  headers: ValueMatch[];
  query: ValueMatch[];
}

export interface CompiledBackend {
  service: string;
  subset: string | null;
  port: number | null;
  /** Relative weight; 0 gets no traffic. */
  weight: number;
  /** This backend's own operations, applied after the rule's (Gateway API per-backendRef filters). */
  requestHeaders: CompiledHeaderOps;
  responseHeaders: CompiledHeaderOps;
}

export interface CompiledMirror {
  service: string;
  subset: string | null;
  percent: number;
}

export interface CompiledCors {
  allowOrigins: string[];
  /** `['*']`: any. */
  allowMethods: string[];
  /** Lower-case; `['*']`: any. */
  allowHeaders: string[];
  /** Lower-case; `['*']`: all. */
  exposeHeaders: string[];
  maxAgeSeconds: number;
  allowCredentials: boolean;
}

export interface CompiledRule {
  name: string;
  matches: CompiledMatch[];
  backends: CompiledBackend[];
  redirect: { scheme: string | null; host: string | null; port: number | null; path: string | null; pathPrefix: string | null; statusCode: number } | null;
  rewrite: { pathPrefix: string | null; path: string | null; host: string | null } | null;
  requestHeaders: CompiledHeaderOps;
  responseHeaders: CompiledHeaderOps;
  /** Shadow copies, each drawn on its own percent; [] when none. */
  mirrors: CompiledMirror[];
  /** Overall timeout, retries included; 0 = none (core/resilience/deadline.ts). */
  timeoutMs: number;
  retries: CompiledRetries;
  /** Largest request body, bytes: the rule's, else the Mesh default. */
  maxRequestBytes: number;
  fault: { delay: { fixedMs: number; percent: number } | null; abort: { status: number; percent: number } | null } | null;
  cors: CompiledCors | null;
  /** Limits on a WebSocket opened through this rule (defaults filled in). */
  websocket: TunnelLimits;
}

export interface CompiledRoute {
  id: string;
  name: string;
  namespace: string;
  /** Lower-case hosts at the edge; empty when the route is mesh-only. */
  edgeHosts: string[];
  /** Service ids (`namespace/name`) whose callers this route governs; empty when edge-only. */
  meshServices: string[];
  rules: CompiledRule[];
}

/** Fields a data plane cannot enforce, refused (core/policy/route/enforcement.ts). */
export const REFUSED = {
  corsInMesh: 'the mesh data plane cannot enforce CORS (browsers do not call mesh services; only the edge gateway answers preflights), and this route has no edge hosts',
  backendPort:
    'no data plane enforces a backend port: the edge gateway and the mesh sidecar call each endpoint on its own port (the endpoint’s, else the Service’s); set the port on the Service',
} as const;

type Report = (path: readonly PathSegment[], message: string, code?: string) => void;

function checkPathValue(kind: PathMatch['kind'], value: string, at: PathSegment[], report: Report): void {
  if (kind === 'regex') {
    const err = checkPattern(value);
    if (err) report(at, `invalid regex: ${err}`, 'schema');
    return;
  }
  if (!value.startsWith('/')) return report(at, `expected a path starting with "/", got "${value}"`, 'schema');
  if (kind === 'template') {
    const err = checkTemplate(value);
    if (err) return report(at, err, 'schema');
  }
  const probe = kind === 'template' ? value.replace(/\{[^}]*\}/g, 'p') : value;
  const normalized = normalizePath(probe, { escapedSlashes: 'keep', semicolons: 'keep' });
  if (!normalized.ok) return report(at, `invalid path: ${normalized.message}`, 'schema');
  if (normalized.path !== probe)
    report(at, `path "${value}" is not in normalized form (requests are normalized before matching, so it would never match); write "${normalized.path}"`, 'schema');
}

function compileValueMatches(list: RouteRuleSpec['matches'][number]['headers'], at: PathSegment[], report: Report, lower: boolean): ValueMatch[] {
  return (list ?? []).map((m, i) => {
    const name = lower ? m.name.toLowerCase() : m.name;
    if (m.regex !== undefined) {
      const err = checkPattern(m.regex);
      if (err) report([...at, i, 'regex'], `invalid regex: ${err}`, 'schema');
      return { name, kind: 'regex', value: m.regex };
    }
    if (m.exact !== undefined) return { name, kind: 'exact', value: m.exact };
    if (m.prefix !== undefined) return { name, kind: 'prefix', value: m.prefix };
    return { name, kind: 'present' };
  });
}

/** The written path condition; a `grpc` match is the path of its service and method. */
function compilePath(m: RouteRuleSpec['matches'][number], at: PathSegment[], report: Report): PathMatch {
  if (m.grpc) return grpcMethodPath(m.grpc.service, m.grpc.method);
  const [kind, value] = Object.entries(m.path ?? { prefix: '/' }).find(([, v]) => v !== undefined) as [PathMatch['kind'], string];
  checkPathValue(kind, value, [...at, 'path', kind], report);
  return { kind, value: kind === 'prefix' && value.length > 1 && value.endsWith('/') ? value.slice(0, -1) : value };
}

function compileMatch(m: RouteRuleSpec['matches'][number], at: PathSegment[], report: Report): CompiledMatch {
  const path = compilePath(m, at, report);
  return {
    path,
    methods: [...new Set(m.methods ?? [])].sort(),
    headers: compileValueMatches(m.headers, [...at, 'headers'], report, true),
    query: compileValueMatches(m.query, [...at, 'query'], report, false),
  };
}

function checkServiceRef(ctx: CompileContext, doc: TypedDocument<RouteSpec>, ref: { service: string; namespace?: string | undefined; subset?: string | undefined }, at: PathSegment[]): string {
  const id = refId(ref.service, ref.namespace, doc);
  const svc = ctx.services.get(id);
  if (!svc) ctx.error(doc, [...at, 'service'], `Service "${id}" does not exist`);
  else if (ref.subset && !svc.spec.subsets.some((s) => s.name === ref.subset))
    ctx.error(doc, [...at, 'subset'], `Service "${id}" has no subset "${ref.subset}" (it has: ${svc.spec.subsets.map((s) => s.name).join(', ') || 'none'})`);
  return id;
}

function compileBackends(ctx: CompileContext, doc: TypedDocument<RouteSpec>, rule: RouteRuleSpec, at: PathSegment[]): CompiledBackend[] {
  return (rule.backends ?? []).map((b, i) => ({
    service: checkServiceRef(ctx, doc, b, [...at, 'backends', i]),
    subset: b.subset ?? null,
    port: b.port ?? null,
    weight: b.weight,
    requestHeaders: compileHeaderOps(b.requestHeaders),
    responseHeaders: compileHeaderOps(b.responseHeaders),
  }));
}

function compileMirrors(ctx: CompileContext, doc: TypedDocument<RouteSpec>, rule: RouteRuleSpec, at: PathSegment[]): CompiledMirror[] {
  const written = rule.mirror;
  if (!written) return [];
  const list = Array.isArray(written) ? written : [written];
  return list.map((m, i) => ({
    service: checkServiceRef(ctx, doc, m, Array.isArray(written) ? [...at, 'mirror', i] : [...at, 'mirror']),
    subset: m.subset ?? null,
    percent: m.percent,
  }));
}

const ORIGIN = /^(\*|https?:\/\/(\*|(\*\.)?[a-z0-9.-]+)(:\d+)?)$/;

/** What a preflight answer may be cached for when `maxAge` is not written (Gateway API HTTPCORSFilter). */
export const DEFAULT_CORS_MAX_AGE_SECONDS = 5;

function compileCors(cors: NonNullable<RouteRuleSpec['cors']>, at: PathSegment[], report: Report): CompiledCors {
  const origins = cors.allowOrigins.map((o) => o.toLowerCase());
  origins.forEach((o, i) => {
    if (!ORIGIN.test(o)) report([...at, 'allowOrigins', i], `expected an origin such as https://app.example.com, https://*.example.com or *, got "${cors.allowOrigins[i]}"`, 'schema');
  });
  return {
    allowOrigins: origins,
    allowMethods: [...new Set(cors.allowMethods)].sort(),
    allowHeaders: [...new Set(cors.allowHeaders.map((h) => h.toLowerCase()))].sort(),
    exposeHeaders: [...new Set(cors.exposeHeaders.map((h) => h.toLowerCase()))].sort(),
    maxAgeSeconds: cors.maxAge !== undefined ? Math.floor(ms(cors.maxAge) / 1000) : DEFAULT_CORS_MAX_AGE_SECONDS,
    allowCredentials: cors.allowCredentials,
  };
}

function compileRule(ctx: CompileContext, doc: TypedDocument<RouteSpec>, rule: RouteRuleSpec, index: number): CompiledRule {
  const at: PathSegment[] = ['spec', 'rules', index];
  const report: Report = (p, m, c) => ctx.error(doc, p, m, c);
  const matches = rule.matches.map((m, i) => compileMatch(m, [...at, 'matches', i], report));
  // As in the Gateway API, a rule may name no backend (omitted or `[]`): what it matches is
  // answered 500 no_backend. Legal, so not refused, but rarely meant.
  const forwards = (rule.backends?.length ?? 0) > 0;
  if (forwards && rule.redirect) report(at, 'a rule takes backends or redirect, not both', 'schema');
  else if (!forwards && !rule.redirect)
    ctx.warn(doc, at, 'this rule has no backends and no redirect: every request it matches is answered 500 no_backend', 'no-backend');
  if (rule.rewrite?.pathPrefix && matches.some((m) => m.path.kind !== 'prefix'))
    report([...at, 'rewrite', 'pathPrefix'], 'pathPrefix replaces the matched prefix, so every match of this rule needs a prefix path', 'schema');
  if (rule.rewrite?.pathPrefix && rule.rewrite.path) report([...at, 'rewrite'], 'rewrite takes path or pathPrefix, not both', 'schema');
  if (rule.redirect?.pathPrefix && matches.some((m) => m.path.kind !== 'prefix'))
    report([...at, 'redirect', 'pathPrefix'], 'pathPrefix replaces the matched prefix, so every match of this rule needs a prefix path', 'schema');
  if (rule.redirect?.pathPrefix && rule.redirect.path) report([...at, 'redirect'], 'redirect takes path or pathPrefix, not both', 'schema');
  if (rule.cors && !doc.spec.edge) report([...at, 'cors'], REFUSED.corsInMesh, 'schema');
  rule.backends?.forEach((b, i) => {
    if (b.port !== undefined) report([...at, 'backends', i, 'port'], REFUSED.backendPort, 'schema');
  });
  const timeoutMs = rule.timeout !== undefined ? ms(rule.timeout) : ctx.mesh.defaults.timeoutMs;
  const merged = mergeRetries(rule.retries, ctx.mesh.defaults.retries);
  // An inherited per-try timeout is clamped to this rule's timeout; one written on the rule
  // itself that can never apply is a mistake worth reporting.
  if (rule.retries?.perTryTimeout && merged.attempts > 0 && perTryOutlastsTimeout(merged.perTryTimeoutMs, timeoutMs))
    report([...at, 'retries', 'perTryTimeout'], `perTryTimeout (${merged.perTryTimeoutMs}ms) is longer than the overall timeout (${timeoutMs}ms)`, 'schema');
  const retries = { ...merged, perTryTimeoutMs: clampPerTryTimeout(merged.perTryTimeoutMs, timeoutMs) };
  return {
    name: rule.name ?? `rule-${index}`,
    matches,
    backends: compileBackends(ctx, doc, rule, at),
    redirect: rule.redirect
      ? {
          scheme: rule.redirect.scheme ?? null,
          host: rule.redirect.host ?? null,
          port: rule.redirect.port ?? null,
          path: rule.redirect.path ?? null,
          pathPrefix: rule.redirect.pathPrefix ?? null,
          statusCode: rule.redirect.statusCode,
        }
      : null,
    rewrite: rule.rewrite ? { pathPrefix: rule.rewrite.pathPrefix ?? null, path: rule.rewrite.path ?? null, host: rule.rewrite.host ?? null } : null,
    requestHeaders: compileHeaderOps(rule.requestHeaders),
    responseHeaders: compileHeaderOps(rule.responseHeaders),
    mirrors: compileMirrors(ctx, doc, rule, at),
    timeoutMs,
    retries,
    maxRequestBytes: rule.maxRequestBytes ?? ctx.mesh.defaults.maxRequestBytes,
    fault: rule.fault
      ? {
          delay: rule.fault.delay ? { fixedMs: ms(rule.fault.delay.fixed), percent: rule.fault.delay.percent } : null,
          abort: rule.fault.abort ? { status: rule.fault.abort.status, percent: rule.fault.abort.percent } : null,
        }
      : null,
    cors: rule.cors ? compileCors(rule.cors, [...at, 'cors'], report) : null,
    websocket: {
      idleTimeoutMs: rule.websocket?.idleTimeout ? ms(rule.websocket.idleTimeout) : DEFAULT_TUNNEL_LIMITS.idleTimeoutMs,
      maxLifetimeMs: rule.websocket?.maxLifetime ? ms(rule.websocket.maxLifetime) : DEFAULT_TUNNEL_LIMITS.maxLifetimeMs,
    },
  };
}

export function compileRoute(doc: TypedDocument<RouteSpec>, ctx: CompileContext): CompiledRoute {
  for (const r of repeatedNames(doc.spec.rules.map((rule) => rule.name)))
    ctx.error(doc, ['spec', 'rules', r.index, 'name'], `duplicate rule name "${r.name}" (also rule ${r.first})`, 'duplicate');
  const meshServices = (doc.spec.mesh?.services ?? []).map((name, i) => {
    const id = refId(name, undefined, doc);
    if (!ctx.services.has(id)) ctx.error(doc, ['spec', 'mesh', 'services', i], `Service "${id}" does not exist`);
    return id;
  });
  return {
    id: doc.id,
    name: doc.meta.name,
    namespace: doc.meta.namespace,
    edgeHosts: [...new Set(doc.spec.edge?.hosts ?? [])].sort(),
    meshServices: [...new Set(meshServices)].sort(),
    rules: doc.spec.rules.map((r, i) => compileRule(ctx, doc, r, i)),
  };
}
