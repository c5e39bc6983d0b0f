// One Weft rule → one HTTPRoute (or GRPCRoute) rule, for what the Gateway API can express;
// a note for each field it cannot (templates become regexes, subsets become Services named
// `<service>-<subset>`, fault injection and body limits have no Gateway API field).
import type { PathSegment } from '../../core/policy/errors.ts';
import type { CompiledRule } from '../../core/policy/route/compile.ts';
import { parseDuration } from '../../core/policy/shared/duration.ts';
import type { NoteSink } from './notes.ts';
import type { WeftBackend, WeftHeaderOps, WeftMatch, WeftMirror, WeftRule, WeftValueMatch } from './weft-types.ts';

export interface ExportContext {
  namespace: string;
  sink: NoteSink;
  /** The port of a Service (`namespace/name`), for backendRefs, which need one. */
  servicePort(namespace: string, name: string): number;
}

type Json = Record<string, unknown>;

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A Weft path template as the regular expression it matches: each `{param}` is one non-empty segment. */
export function templateRegex(template: string): string {
  return template
    .split('/')
    .map((segment) => (/^\{[A-Za-z_][A-Za-z0-9_]*\}$/.test(segment) ? '[^/]+' : escapeRegex(segment)))
    .join('/');
}

/** Milliseconds as a Gateway API duration (GEP-2257: h, m, s, ms; no fractions). */
export function gatewayDuration(totalMs: number): string {
  if (totalMs === 0) return '0s';
  const parts: string[] = [];
  let rest = totalMs;
  for (const [unit, size] of [['h', 3_600_000], ['m', 60_000], ['s', 1000], ['ms', 1]] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${n}${unit}`);
    rest -= n * size;
  }
  return parts.join('');
}

function exportHeaderOps(ops: WeftHeaderOps): Json {
  const out: Json = {};
  if (ops.set && Object.keys(ops.set).length) out.set = Object.entries(ops.set).map(([name, value]) => ({ name, value }));
  if (ops.add && Object.keys(ops.add).length) out.add = Object.entries(ops.add).map(([name, value]) => ({ name, value }));
  if (ops.remove?.length) out.remove = [...ops.remove];
  return out;
}

function exportValueMatches(list: readonly WeftValueMatch[], what: string, at: PathSegment[], sink: NoteSink): Json[] {
  return list.map((m, i) => {
    if (m.exact !== undefined) return { type: 'Exact', name: m.name, value: m.exact };
    if (m.regex !== undefined) return { type: 'RegularExpression', name: m.name, value: m.regex };
    if (m.prefix !== undefined) {
      sink.note([...at, i, 'prefix'], `a ${what} prefix match has no Gateway API type: exported as the RegularExpression ${escapeRegex(m.prefix)}.*`);
      return { type: 'RegularExpression', name: m.name, value: `${escapeRegex(m.prefix)}.*` };
    }
    sink.note([...at, i, 'present'], `a ${what} presence match has no Gateway API type: exported as the RegularExpression .*`);
    return { type: 'RegularExpression', name: m.name, value: '.*' };
  });
}

function exportPath(m: WeftMatch, at: PathSegment[], sink: NoteSink): Json | undefined {
  if (m.grpc) return m.grpc.method ? { type: 'Exact', value: `/${m.grpc.service}/${m.grpc.method}` } : { type: 'PathPrefix', value: `/${m.grpc.service}` };
  const path = m.path;
  if (!path) return undefined;
  if (path.exact !== undefined) return { type: 'Exact', value: path.exact };
  if (path.prefix !== undefined) return { type: 'PathPrefix', value: path.prefix };
  if (path.regex !== undefined) return { type: 'RegularExpression', value: path.regex };
  if (path.template === undefined) return undefined;
  const regex = templateRegex(path.template);
  sink.note([...at, 'path', 'template'], `path templates are a Weft extension: exported as the RegularExpression ${regex} (the Gateway API tries regex matches after exact and prefix ones)`);
  return { type: 'RegularExpression', value: regex };
}

/** Weft's `methods` is a list; a Gateway API match has one method, so a match fans out per method. */
function exportHttpMatches(matches: readonly WeftMatch[], at: PathSegment[], sink: NoteSink): Json[] {
  return matches.flatMap((m, i) => {
    const where = [...at, i];
    const base: Json = {};
    const path = exportPath(m, where, sink);
    if (path) base.path = path;
    if (m.headers?.length) base.headers = exportValueMatches(m.headers, 'header', [...where, 'headers'], sink);
    if (m.query?.length) base.queryParams = exportValueMatches(m.query, 'query', [...where, 'query'], sink);
    const methods = m.methods ?? [];
    return methods.length === 0 ? [base] : methods.map((method) => ({ ...base, method }));
  });
}

function exportGrpcMatches(matches: readonly WeftMatch[], at: PathSegment[], sink: NoteSink): Json[] {
  return matches.map((m, i) => {
    const out: Json = {};
    if (m.grpc) out.method = m.grpc.method ? { service: m.grpc.service, method: m.grpc.method } : { service: m.grpc.service };
    if (m.headers?.length) out.headers = exportValueMatches(m.headers, 'header', [...at, i, 'headers'], sink);
    return out;
  });
}

/** The Service a backend names: Gateway API backends have no subsets, so a subset is its own Service. */
function backendService(b: { service: string; subset?: string }, at: PathSegment[], sink: NoteSink): string {
  if (!b.subset) return b.service;
  const name = `${b.service}-${b.subset}`;
  sink.note([...at, 'subset'], `the Gateway API has no subsets: exported as Service ${name} (one Kubernetes Service per version, selecting that subset's pods)`);
  return name;
}

function exportBackends(backends: readonly WeftBackend[], at: PathSegment[], ctx: ExportContext): Json[] {
  return backends.map((b, i) => {
    const where = [...at, i];
    const namespace = b.namespace ?? ctx.namespace;
    const out: Json = { name: backendService(b, where, ctx.sink) };
    if (b.namespace) out.namespace = b.namespace;
    out.port = ctx.servicePort(namespace, b.service);
    if (b.weight !== undefined && backends.length > 1) out.weight = b.weight;
    const filters: Json[] = [];
    if (b.requestHeaders) filters.push({ type: 'RequestHeaderModifier', requestHeaderModifier: exportHeaderOps(b.requestHeaders) });
    if (b.responseHeaders) filters.push({ type: 'ResponseHeaderModifier', responseHeaderModifier: exportHeaderOps(b.responseHeaders) });
    if (filters.length) out.filters = filters;
    return out;
  });
}

function exportMirror(m: WeftMirror, at: PathSegment[], ctx: ExportContext): Json {
  const namespace = m.namespace ?? ctx.namespace;
  const backendRef: Json = { name: backendService(m, at, ctx.sink) };
  if (m.namespace) backendRef.namespace = m.namespace;
  backendRef.port = ctx.servicePort(namespace, m.service);
  const out: Json = { backendRef };
  const percent = m.percent ?? 100;
  if (Number.isInteger(percent) && percent < 100) out.percent = percent;
  else if (percent < 100) out.fraction = { numerator: Math.round(percent * 10_000), denominator: 1_000_000 };
  return { type: 'RequestMirror', requestMirror: out };
}

function exportFilters(rule: WeftRule, at: PathSegment[], ctx: ExportContext): Json[] {
  const filters: Json[] = [];
  if (rule.requestHeaders) filters.push({ type: 'RequestHeaderModifier', requestHeaderModifier: exportHeaderOps(rule.requestHeaders) });
  if (rule.responseHeaders) filters.push({ type: 'ResponseHeaderModifier', responseHeaderModifier: exportHeaderOps(rule.responseHeaders) });
  if (rule.redirect) {
    const r = rule.redirect;
    const out: Json = {};
    if (r.scheme) out.scheme = r.scheme;
    if (r.host) out.hostname = r.host;
    if (r.path) out.path = { type: 'ReplaceFullPath', replaceFullPath: r.path };
    if (r.pathPrefix) out.path = { type: 'ReplacePrefixMatch', replacePrefixMatch: r.pathPrefix };
    if (r.port) out.port = r.port;
    if (r.statusCode) out.statusCode = r.statusCode;
    filters.push({ type: 'RequestRedirect', requestRedirect: out });
  }
  if (rule.rewrite) {
    const out: Json = {};
    if (rule.rewrite.host) out.hostname = rule.rewrite.host;
    if (rule.rewrite.path) out.path = { type: 'ReplaceFullPath', replaceFullPath: rule.rewrite.path };
    if (rule.rewrite.pathPrefix) out.path = { type: 'ReplacePrefixMatch', replacePrefixMatch: rule.rewrite.pathPrefix };
    filters.push({ type: 'URLRewrite', urlRewrite: out });
  }
  const mirrors = rule.mirror === undefined ? [] : Array.isArray(rule.mirror) ? rule.mirror : [rule.mirror];
  mirrors.forEach((m, i) => filters.push(exportMirror(m, Array.isArray(rule.mirror) ? [...at, 'mirror', i] : [...at, 'mirror'], ctx)));
  if (rule.cors) {
    const c = rule.cors;
    const out: Json = { allowOrigins: c.allowOrigins };
    const safelisted = ['GET', 'HEAD', 'POST'];
    if (c.allowMethods && !(c.allowMethods.length === 3 && safelisted.every((m) => c.allowMethods?.includes(m)))) out.allowMethods = c.allowMethods;
    if (c.allowHeaders?.length) out.allowHeaders = c.allowHeaders;
    if (c.exposeHeaders?.length) out.exposeHeaders = c.exposeHeaders;
    if (c.allowCredentials) out.allowCredentials = true;
    if (c.maxAge !== undefined) out.maxAge = Math.max(1, Math.floor((parseDuration(c.maxAge) as number) / 1000));
    filters.push({ type: 'CORS', cors: out });
  }
  return filters;
}

/** Gateway API retry codes for Weft's retry conditions; connection errors need no code (implementations retry them). */
function retryCodes(compiled: CompiledRule['retries'], at: PathSegment[], sink: NoteSink): number[] {
  const codes = new Set<number>();
  const on = new Set(compiled.retryOn);
  if (on.has('5xx')) {
    for (let c = 500; c <= 599; c++) codes.add(c);
    sink.note([...at, 'retryOn'], '5xx has no Gateway API form: exported as the codes 500-599');
  }
  if (on.has('gateway-error')) [502, 503, 504].forEach((c) => codes.add(c));
  if (on.has('retriable-status-codes')) compiled.statusCodes.forEach((c) => codes.add(c));
  const grpc = compiled.retryOn.filter((c) => ['cancelled', 'deadline-exceeded', 'internal', 'resource-exhausted', 'unavailable'].includes(c));
  if (grpc.length) sink.note([...at, 'retryOn'], `gRPC conditions (${grpc.join(', ')}): not expressible in the Gateway API (GRPCRoute has no retry); dropped`);
  if (!on.has('connect-failure') || !(on.has('reset') || on.has('5xx') || on.has('gateway-error')))
    sink.note([...at, 'retryOn'], 'Gateway API implementations retry connection failures and resets whenever a retry is set, which this rule does not ask for');
  return [...codes].sort((a, b) => a - b);
}

/** `retry` from the rule's effective retries (its own fields merged over the Mesh defaults), so the stanza says all of it. */
function exportRetry(raw: Json, compiled: CompiledRule['retries'], at: PathSegment[], sink: NoteSink): Json | undefined {
  for (const field of ['budget', 'nonIdempotent'] as const)
    if (raw[field] !== undefined) sink.note([...at, field], `not expressible in the Gateway API (no ${field === 'budget' ? 'retry budget' : 'retries of non-idempotent requests'}); dropped`);
  if ((raw.backoff as Json | undefined)?.maxInterval !== undefined) sink.note([...at, 'backoff', 'maxInterval'], 'not expressible in the Gateway API (backoff is one minimum interval); dropped');
  if (!['attempts', 'retryOn', 'statusCodes', 'backoff'].some((k) => raw[k] !== undefined)) return undefined;
  if (compiled.attempts === 0) {
    sink.note([...at, 'attempts'], 'no retries: the Gateway API cannot say so (attempts is at least 1); left out, so the implementation’s default applies');
    return undefined;
  }
  const out: Json = { attempts: compiled.attempts };
  const codes = retryCodes(compiled, at, sink);
  if (codes.length) out.codes = codes;
  out.backoff = gatewayDuration(compiled.backoff.baseMs);
  return out;
}

/** Weft rule fields the Gateway API has no place for. */
const NO_GATEWAY_FIELD: Record<string, string> = {
  fault: 'implementations have their own policies for fault injection',
  maxRequestBytes: 'it has no request body limit',
  websocket: 'it has no WebSocket limits',
};

/** The rule as an HTTPRoute rule, and as a GRPCRoute rule when it fits one (gRPC matches only, nothing a GRPCRoute lacks). */
export function exportRule(rule: WeftRule, raw: Json, compiled: CompiledRule, index: number, ctx: ExportContext): { http: Json; grpc: Json | undefined } {
  const at = ['spec', 'rules', index];
  for (const [field, why] of Object.entries(NO_GATEWAY_FIELD)) if (raw[field] !== undefined) ctx.sink.note([...at, field], `not expressible in the Gateway API (${why}); dropped`);
  const matches = raw.matches !== undefined ? (rule.matches ?? []) : [];
  const filters = exportFilters(rule, at, ctx);
  const backendRefs = rule.backends ? exportBackends(rule.backends, [...at, 'backends'], ctx) : [];
  const head: Json = rule.name ? { name: rule.name } : {};
  const tail: Json = {};
  if (filters.length) tail.filters = filters;
  if (backendRefs.length) tail.backendRefs = backendRefs;
  const http: Json = { ...head };
  if (matches.length) http.matches = exportHttpMatches(matches, [...at, 'matches'], ctx.sink);
  Object.assign(http, tail);
  const timeouts: Json = {};
  if (raw.timeout !== undefined) timeouts.request = gatewayDuration(compiled.timeoutMs);
  const rawRetries = (raw.retries ?? {}) as Json;
  if (rawRetries.perTryTimeout !== undefined) timeouts.backendRequest = gatewayDuration(compiled.retries.perTryTimeoutMs);
  if (Object.keys(timeouts).length) http.timeouts = timeouts;
  const retry = raw.retries !== undefined ? exportRetry(rawRetries, compiled.retries, [...at, 'retries'], ctx.sink) : undefined;
  if (retry) http.retry = retry;
  const grpcFits =
    matches.length > 0 &&
    matches.every((m) => m.grpc && !m.methods?.length && !m.query?.length && !m.path) &&
    !http.timeouts &&
    !http.retry &&
    !rule.redirect &&
    !rule.rewrite &&
    !rule.cors;
  // The header notes were made for the HTTP form already; the same apply to the gRPC form.
  const silent: NoteSink = { note: () => undefined };
  return { http, grpc: grpcFits ? { ...head, matches: exportGrpcMatches(matches, [...at, 'matches'], silent), ...tail } : undefined };
}
