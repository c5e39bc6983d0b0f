// Route filters, Gateway API → Weft rule actions: header modifiers, redirect, URL rewrite,
// mirrors and CORS; on a backendRef, its own header modifiers. ExtensionRef and ExternalAuth
// (and any filter type Weft does not know) are notes: their behaviour is not Weft's to guess.
import type { PathSegment } from '../../core/policy/errors.ts';
import type { Filter, HeaderModifier } from './gateway-api-schema.ts';
import { isCoreService } from './attach.ts';
import type { NoteSink } from './notes.ts';
import type { ServiceCatalog } from './service-catalog.ts';
import type { WeftCors, WeftHeaderOps, WeftMirror, WeftRedirect, WeftRule } from './weft-types.ts';

export interface RouteContext {
  namespace: string;
  kind: 'HTTPRoute' | 'GRPCRoute';
  sink: NoteSink;
  services: ServiceCatalog;
}

export interface ImportedFilters {
  requestHeaders?: WeftHeaderOps;
  responseHeaders?: WeftHeaderOps;
  redirect?: WeftRedirect;
  rewrite?: NonNullable<WeftRule['rewrite']>;
  mirrors: WeftMirror[];
  cors?: WeftCors;
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const BAD_VALUE = /[\r\n\0]/;
const ORIGIN = /^(\*|https?:\/\/(\*\.)?[a-z0-9.-]+(:\d+)?)$/;
const REDIRECT_CODES = [301, 302, 303, 307, 308] as const;
const isRedirectCode = (n: number): n is (typeof REDIRECT_CODES)[number] => (REDIRECT_CODES as readonly number[]).includes(n);

export function importHeaderModifier(mod: HeaderModifier, at: PathSegment[], sink: NoteSink): WeftHeaderOps {
  const ops: WeftHeaderOps = {};
  for (const op of ['set', 'add'] as const) {
    const record: Record<string, string> = {};
    const seen = new Set<string>();
    (mod[op] ?? []).forEach((h, i) => {
      const where = [...at, op, i];
      if (!HEADER_NAME.test(h.name)) return sink.note(where, `"${h.name}" is not an HTTP header name; dropped`);
      if (BAD_VALUE.test(h.value)) return sink.note(where, `the value of ${h.name} contains CR, LF or NUL; dropped`);
      if (seen.has(h.name.toLowerCase())) return sink.note(where, `${h.name} is listed twice; the first value is kept`);
      seen.add(h.name.toLowerCase());
      record[h.name] = h.value;
    });
    if (Object.keys(record).length > 0) ops[op] = record;
  }
  const remove = (mod.remove ?? []).filter((name, i) => HEADER_NAME.test(name) || (sink.note([...at, 'remove', i], `"${name}" is not an HTTP header name; dropped`), false));
  if (remove.length > 0) ops.remove = remove;
  return ops;
}

function importRedirect(r: NonNullable<Filter['requestRedirect']>, at: PathSegment[], sink: NoteSink): WeftRedirect {
  const out: WeftRedirect = {};
  if (r.scheme !== undefined) {
    if (r.scheme === 'http' || r.scheme === 'https') out.scheme = r.scheme;
    else sink.note([...at, 'scheme'], `scheme ${r.scheme}: Weft redirects to http or https only; the request's scheme is kept`);
  }
  if (r.hostname !== undefined) out.host = r.hostname;
  if (r.port !== undefined) out.port = r.port;
  if (r.path) {
    if (r.path.type === 'ReplaceFullPath' && r.path.replaceFullPath !== undefined) out.path = r.path.replaceFullPath;
    else if (r.path.type === 'ReplacePrefixMatch' && r.path.replacePrefixMatch !== undefined) out.pathPrefix = r.path.replacePrefixMatch;
    else sink.note([...at, 'path'], `path modifier ${r.path.type}: not expressible in Weft (ReplaceFullPath and ReplacePrefixMatch are); the request path is kept`);
  }
  if (r.statusCode !== undefined) {
    if (isRedirectCode(r.statusCode)) out.statusCode = r.statusCode;
    else sink.note([...at, 'statusCode'], `status ${r.statusCode}: Weft redirects with 301, 302, 303, 307 or 308; 302 is used`);
  }
  return out;
}

function importRewrite(r: NonNullable<Filter['urlRewrite']>, at: PathSegment[], sink: NoteSink): NonNullable<WeftRule['rewrite']> {
  const out: NonNullable<WeftRule['rewrite']> = {};
  if (r.hostname !== undefined) out.host = r.hostname;
  if (r.path) {
    if (r.path.type === 'ReplaceFullPath' && r.path.replaceFullPath !== undefined) out.path = r.path.replaceFullPath;
    else if (r.path.type === 'ReplacePrefixMatch' && r.path.replacePrefixMatch !== undefined) out.pathPrefix = r.path.replacePrefixMatch;
    else sink.note([...at, 'path'], `path modifier ${r.path.type}: not expressible in Weft (ReplaceFullPath and ReplacePrefixMatch are); the path is not rewritten`);
  }
  return out;
}

function importMirror(m: NonNullable<Filter['requestMirror']>, at: PathSegment[], ctx: RouteContext): WeftMirror | undefined {
  const ref = m.backendRef;
  if (!isCoreService(ref.group, ref.kind ?? 'Service')) {
    ctx.sink.note([...at, 'backendRef'], `mirror to ${ref.group ?? ''}/${ref.kind} ${ref.name}: not expressible in Weft (mirrors go to Services); dropped`);
    return undefined;
  }
  const namespace = ref.namespace ?? ctx.namespace;
  ctx.services.use({ namespace, name: ref.name, port: ref.port }, [...at, 'backendRef'], ctx.sink);
  const mirror: WeftMirror = { service: ref.name };
  if (namespace !== ctx.namespace) mirror.namespace = namespace;
  const percent = m.fraction ? (m.fraction.numerator / (m.fraction.denominator ?? 100)) * 100 : m.percent;
  if (percent !== undefined && percent < 100) mirror.percent = Math.round(percent * 10_000) / 10_000;
  return mirror;
}

function importCors(c: NonNullable<Filter['cors']>, at: PathSegment[], sink: NoteSink): WeftCors | undefined {
  const origins = (c.allowOrigins ?? []).filter((o, i) => ORIGIN.test(o) || (sink.note([...at, 'allowOrigins', i], `origin "${o}" is not expressible in Weft (scheme://host[:port], *.host or *); dropped`), false));
  if (origins.length === 0) {
    sink.note(at, 'no allowed origin Weft can express: CORS is not configured for this rule');
    return undefined;
  }
  const cors: WeftCors = { allowOrigins: origins };
  if (c.allowMethods?.length) cors.allowMethods = c.allowMethods;
  if (c.allowHeaders?.length) cors.allowHeaders = c.allowHeaders;
  if (c.exposeHeaders?.length) cors.exposeHeaders = c.exposeHeaders;
  if (c.maxAge !== undefined) cors.maxAge = `${c.maxAge}s`;
  if (c.allowCredentials) cors.allowCredentials = true;
  return cors;
}

function notExpressible(filter: Filter): string {
  if (filter.type === 'ExtensionRef') {
    const ref = filter.extensionRef;
    return `not expressible in Weft (an implementation's own filter${ref ? `, ${ref.group ? `${ref.group}/` : ''}${ref.kind} ${ref.name}` : ''}); dropped`;
  }
  if (filter.type === 'ExternalAuth') return 'not expressible in Weft (Weft authenticates end users itself: write an Authentication with JWT or API keys); dropped';
  return `unknown filter type ${filter.type}; dropped`;
}

/** A rule's filters as Weft actions. Each single-use filter type counts once, as the spec allows. */
export function importFilters(filters: readonly Filter[], at: PathSegment[], ctx: RouteContext): ImportedFilters {
  const out: ImportedFilters = { mirrors: [] };
  const seen = new Set<string>();
  filters.forEach((f, i) => {
    const where = [...at, i];
    const note = (message: string) => ctx.sink.note(where, message, f.type);
    if (f.type !== 'RequestMirror' && f.type !== 'ExtensionRef' && seen.has(f.type)) return note('given twice; only the first is used');
    seen.add(f.type);
    if (f.type === 'RequestHeaderModifier' && f.requestHeaderModifier) out.requestHeaders = importHeaderModifier(f.requestHeaderModifier, [...where, 'requestHeaderModifier'], ctx.sink);
    else if (f.type === 'ResponseHeaderModifier' && f.responseHeaderModifier)
      out.responseHeaders = importHeaderModifier(f.responseHeaderModifier, [...where, 'responseHeaderModifier'], ctx.sink);
    else if (f.type === 'RequestRedirect' && f.requestRedirect) out.redirect = importRedirect(f.requestRedirect, [...where, 'requestRedirect'], ctx.sink);
    else if (f.type === 'URLRewrite' && f.urlRewrite) out.rewrite = importRewrite(f.urlRewrite, [...where, 'urlRewrite'], ctx.sink);
    else if (f.type === 'RequestMirror' && f.requestMirror) {
      const mirror = importMirror(f.requestMirror, [...where, 'requestMirror'], ctx);
      if (mirror) out.mirrors.push(mirror);
    } else if (f.type === 'CORS' && f.cors) {
      const cors = importCors(f.cors, [...where, 'cors'], ctx.sink);
      if (cors) out.cors = cors;
    } else note(notExpressible(f));
  });
  return out;
}

/** Filters on one backendRef: header modifiers apply to that backend only (Weft `backends[].requestHeaders`). */
export function importBackendFilters(filters: readonly Filter[], at: PathSegment[], sink: NoteSink): Pick<ImportedFilters, 'requestHeaders' | 'responseHeaders'> {
  const out: Pick<ImportedFilters, 'requestHeaders' | 'responseHeaders'> = {};
  filters.forEach((f, i) => {
    const where = [...at, i];
    if (f.type === 'RequestHeaderModifier' && f.requestHeaderModifier && !out.requestHeaders)
      out.requestHeaders = importHeaderModifier(f.requestHeaderModifier, [...where, 'requestHeaderModifier'], sink);
    else if (f.type === 'ResponseHeaderModifier' && f.responseHeaderModifier && !out.responseHeaders)
      out.responseHeaders = importHeaderModifier(f.responseHeaderModifier, [...where, 'responseHeaderModifier'], sink);
    else
      sink.note(
        where,
        f.type === 'RequestHeaderModifier' || f.type === 'ResponseHeaderModifier' ? 'given twice; only the first is used' : `not expressible in Weft on one backend (only header modifiers are); dropped`,
        f.type,
      );
  });
  return out;
}
