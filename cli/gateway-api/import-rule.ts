// One HTTPRoute or GRPCRoute rule → one Weft rule: matches, filters, backends (relative
// weights, per-backend header modifiers), timeouts and retries exactly as the source says.
import type { PathSegment } from '../../core/policy/errors.ts';
import { parseDuration } from '../../core/policy/shared/duration.ts';
import type { BackendRef, GrpcRule, HttpRule } from './gateway-api-schema.ts';
import { isCoreService } from './attach.ts';
import { importBackendFilters, importFilters } from './import-filters.ts';
import type { RouteContext } from './import-filters.ts';
import { importGrpcMatch, importHttpMatch } from './import-matches.ts';
import type { WeftBackend, WeftMatch, WeftRetries, WeftRule } from './weft-types.ts';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** Weft's most retries per request. */
const MAX_ATTEMPTS = 10;
const HTTP_RULE_FIELDS = new Set(['name', 'matches', 'filters', 'backendRefs', 'timeouts', 'retry']);
const GRPC_RULE_FIELDS = new Set(['name', 'matches', 'filters', 'backendRefs']);

function importBackends(refs: readonly BackendRef[], at: PathSegment[], ctx: RouteContext): WeftBackend[] {
  const kept: { ref: BackendRef; backend: WeftBackend }[] = [];
  refs.forEach((ref, i) => {
    const where = [...at, i];
    if (!isCoreService(ref.group, ref.kind ?? 'Service')) {
      ctx.sink.note(where, `backend ${ref.group ? `${ref.group}/` : ''}${ref.kind} ${ref.name}: not expressible in Weft (backends are Services); dropped, so its share of traffic goes to the other backends of this rule`);
      return;
    }
    const namespace = ref.namespace ?? ctx.namespace;
    ctx.services.use({ namespace, name: ref.name, port: ref.port, ...(ctx.kind === 'GRPCRoute' ? { protocol: 'grpc' as const } : {}) }, where, ctx.sink);
    const backend: WeftBackend = { service: ref.name };
    if (namespace !== ctx.namespace) backend.namespace = namespace;
    if (ref.filters?.length) Object.assign(backend, importBackendFilters(ref.filters, [...where, 'filters'], ctx.sink));
    kept.push({ ref, backend });
  });
  // Weights are relative and default to 1 on both sides: write them when they carry meaning.
  const explicit = kept.some((k) => k.ref.weight !== undefined);
  if (explicit && (kept.length > 1 || kept[0]?.ref.weight === 0)) for (const k of kept) k.backend.weight = k.ref.weight ?? 1;
  return kept.map((k) => k.backend);
}

function checkDuration(value: string, at: PathSegment[], ctx: RouteContext): string | undefined {
  if (parseDuration(value) !== undefined) return value;
  ctx.sink.note(at, `duration "${value}" is not expressible in Weft; dropped`);
  return undefined;
}

/** `retry` → Weft retries. The spec has implementations retry connection errors whenever a retry stanza is set. */
function importRetry(retry: NonNullable<HttpRule['retry']>, at: PathSegment[], ctx: RouteContext): WeftRetries {
  const out: WeftRetries = {};
  if (retry.attempts !== undefined) {
    out.attempts = Math.min(retry.attempts, MAX_ATTEMPTS);
    if (retry.attempts > MAX_ATTEMPTS) ctx.sink.note([...at, 'attempts'], `${retry.attempts} attempts: Weft retries at most ${MAX_ATTEMPTS} times; ${MAX_ATTEMPTS} is used`);
  }
  out.retryOn = retry.codes?.length ? ['connect-failure', 'reset', 'retriable-status-codes'] : ['connect-failure', 'reset'];
  if (retry.codes?.length) out.statusCodes = [...retry.codes];
  if (retry.backoff !== undefined) {
    const backoff = checkDuration(retry.backoff, [...at, 'backoff'], ctx);
    if (backoff !== undefined && (parseDuration(backoff) as number) > 0) out.backoff = { baseInterval: backoff };
    else if (backoff !== undefined) ctx.sink.note([...at, 'backoff'], 'a zero backoff is not expressible in Weft (backoff is at least 1ms); the default backoff applies');
  }
  return out;
}

function importRuleName(name: string | undefined, at: PathSegment[], ctx: RouteContext): string | undefined {
  if (name === undefined) return undefined;
  if (DNS_LABEL.test(name) && name.length <= 63) return name;
  ctx.sink.note([...at, 'name'], `rule name "${name}" is not a Weft rule name (a DNS label of at most 63 characters); left out`);
  return undefined;
}

function noteUnknownFields(rule: object, known: ReadonlySet<string>, at: PathSegment[], ctx: RouteContext): void {
  for (const key of Object.keys(rule)) {
    if (known.has(key)) continue;
    if (key === 'sessionPersistence')
      ctx.sink.note([...at, key], 'not expressible on a Weft rule (session affinity is the Service’s loadBalancer: consistent-hash on a cookie or header); dropped');
    else ctx.sink.note([...at, key], 'not carried over (a field weft import does not know)');
  }
}

/** The matches, or undefined when every one of them was dropped (the rule must go too). */
function importMatches<M>(matches: readonly M[] | undefined, at: PathSegment[], ctx: RouteContext, one: (m: M, at: PathSegment[]) => WeftMatch | undefined): WeftMatch[] | null | undefined {
  if (!matches?.length) return null;
  const out = matches.map((m, i) => one(m, [...at, i])).filter((m): m is WeftMatch => m !== undefined);
  if (out.length > 0) return out;
  ctx.sink.note(at, 'no match Weft can express is left: the rule is dropped (without matches it would take every request)');
  return undefined;
}

/** Fields shared by both route kinds, from filters and backendRefs. */
function importActions(rule: HttpRule | GrpcRule, at: PathSegment[], ctx: RouteContext, httpListenersOnly: boolean): WeftRule | undefined {
  const out: WeftRule = {};
  const filters = importFilters(rule.filters ?? [], [...at, 'filters'], ctx);
  if (filters.redirect?.scheme === 'https' && httpListenersOnly) {
    // The HTTP→HTTPS pattern: harmless on an HTTP listener, a redirect loop on a Weft route,
    // which HTTPS requests reach too.
    if (filters.redirect.host === undefined) {
      ctx.sink.note(
        [...at, 'filters'],
        'an https redirect to the same host, on plain-HTTP listeners only: Weft routes do not tell HTTP from HTTPS, so HTTPS requests would be redirected too (a loop); the rule is dropped — at the edge, use the zone’s Always Use HTTPS setting',
      );
      return undefined;
    }
    ctx.sink.note([...at, 'filters'], 'an https redirect on plain-HTTP listeners only: in Weft it answers HTTPS requests too (Weft routes do not tell HTTP from HTTPS)');
  }
  if (filters.requestHeaders) out.requestHeaders = filters.requestHeaders;
  if (filters.responseHeaders) out.responseHeaders = filters.responseHeaders;
  if (filters.rewrite && !filters.redirect) out.rewrite = filters.rewrite;
  else if (filters.rewrite) ctx.sink.note([...at, 'filters'], 'URLRewrite together with RequestRedirect (the spec forbids it): the rewrite is dropped');
  if (filters.mirrors.length === 1) out.mirror = filters.mirrors[0];
  else if (filters.mirrors.length > 1) out.mirror = filters.mirrors;
  if (filters.cors) out.cors = filters.cors;
  if (filters.redirect) {
    out.redirect = filters.redirect;
    if (rule.backendRefs?.length) ctx.sink.note([...at, 'backendRefs'], 'a redirecting rule sends nothing to backends: dropped');
  } else out.backends = importBackends(rule.backendRefs ?? [], [...at, 'backendRefs'], ctx);
  return out;
}

const RULE_KEY_ORDER: (keyof WeftRule)[] = ['name', 'matches', 'backends', 'redirect', 'rewrite', 'requestHeaders', 'responseHeaders', 'mirror', 'timeout', 'retries', 'cors'];

/** The rule with its fields in the order docs/policies.md lists them. */
function ordered(rule: WeftRule): WeftRule {
  const out: Record<string, unknown> = {};
  for (const key of RULE_KEY_ORDER) if (rule[key] !== undefined) out[key] = rule[key];
  return out as WeftRule;
}

export function importHttpRule(rule: HttpRule, index: number, ctx: RouteContext, httpListenersOnly: boolean): WeftRule | undefined {
  const at = ['spec', 'rules', index];
  noteUnknownFields(rule, HTTP_RULE_FIELDS, at, ctx);
  const matches = importMatches(rule.matches, [...at, 'matches'], ctx, (m, where) => importHttpMatch(m, where, ctx.sink));
  if (matches === undefined) return undefined;
  const actions = importActions(rule, at, ctx, httpListenersOnly);
  if (!actions) return undefined;
  const out: WeftRule = {};
  const name = importRuleName(rule.name, at, ctx);
  if (name) out.name = name;
  if (matches) out.matches = matches;
  Object.assign(out, actions);
  const request = rule.timeouts?.request !== undefined ? checkDuration(rule.timeouts.request, [...at, 'timeouts', 'request'], ctx) : undefined;
  if (request !== undefined) out.timeout = request;
  const retries: WeftRetries = rule.retry ? importRetry(rule.retry, [...at, 'retry'], ctx) : {};
  const perTry = rule.timeouts?.backendRequest !== undefined ? checkDuration(rule.timeouts.backendRequest, [...at, 'timeouts', 'backendRequest'], ctx) : undefined;
  if (perTry !== undefined) retries.perTryTimeout = perTry;
  if (Object.keys(retries).length > 0) out.retries = retries;
  return ordered(out);
}

export function importGrpcRule(rule: GrpcRule, index: number, ctx: RouteContext): WeftRule | undefined {
  const at = ['spec', 'rules', index];
  noteUnknownFields(rule, GRPC_RULE_FIELDS, at, ctx);
  const matches = importMatches(rule.matches, [...at, 'matches'], ctx, (m, where) => importGrpcMatch(m, where, ctx.sink));
  if (matches === undefined) return undefined;
  const actions = importActions(rule, at, ctx, false);
  if (!actions) return undefined;
  const out: WeftRule = {};
  const name = importRuleName(rule.name, at, ctx);
  if (name) out.name = name;
  if (matches) out.matches = matches;
  return ordered(Object.assign(out, actions));
}
