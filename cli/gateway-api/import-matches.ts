// Route matches, Gateway API → Weft: path (Exact, PathPrefix, RegularExpression), headers,
// query parameters and method for HTTPRoute; gRPC service/method and headers for GRPCRoute.
// A match Weft cannot hold is dropped with a note (never widened): dropping a match of an OR
// list narrows what the rule takes, and a rule left with none is dropped by the caller.
import { GRPC_METHOD_NAME, GRPC_SERVICE_NAME } from '../../core/grpc/method-path.ts';
import type { PathSegment } from '../../core/policy/errors.ts';
import { checkPattern, normalizePath } from '../../core/route/index.ts';
import type { GrpcMatch, HttpMatch, ValueMatch } from './gateway-api-schema.ts';
import type { NoteSink } from './notes.ts';
import type { WeftMatch, WeftPathMatch, WeftValueMatch } from './weft-types.ts';

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Why a regex cannot be a Weft regex (JavaScript syntax, full match), or undefined. */
function regexProblem(source: string): string | undefined {
  const err = checkPattern(source);
  return err ? `regular expression "${source}" is not valid in Weft (JavaScript syntax, full match): ${err}` : undefined;
}

function pathProblem(value: string): string | undefined {
  if (!value.startsWith('/')) return `path "${value}" does not start with "/"`;
  const normalized = normalizePath(value, { escapedSlashes: 'keep', semicolons: 'keep' });
  if (!normalized.ok) return `path "${value}" is not a valid path: ${normalized.message}`;
  if (normalized.path !== value) return `path "${value}" is not in normalized form (Weft matches normalized paths, so it would never match)`;
  return undefined;
}

function importPath(path: NonNullable<HttpMatch['path']>): WeftPathMatch | string {
  const type = path.type ?? 'PathPrefix';
  const value = path.value ?? '/';
  if (type === 'RegularExpression') return regexProblem(value) ?? { regex: value };
  if (type !== 'Exact' && type !== 'PathPrefix') return `path type ${type}: not expressible in Weft (Exact, PathPrefix and RegularExpression are)`;
  const problem = pathProblem(value);
  if (problem) return problem;
  return type === 'Exact' ? { exact: value } : { prefix: value };
}

/** Header or query conditions; the spec uses only the first of several with one name. */
function importValueMatches(list: readonly ValueMatch[], what: 'header' | 'query parameter', at: PathSegment[], sink: NoteSink): WeftValueMatch[] | string {
  const seen = new Set<string>();
  const out: WeftValueMatch[] = [];
  for (const [i, m] of list.entries()) {
    const key = what === 'header' ? m.name.toLowerCase() : m.name;
    if (seen.has(key)) {
      sink.note([...at, i], `a second ${what} condition on ${m.name}: ignored, as the Gateway API ignores all but the first`);
      continue;
    }
    seen.add(key);
    if (what === 'header' && !HEADER_NAME.test(m.name)) return `header name "${m.name}" is not an HTTP header name`;
    const type = m.type ?? 'Exact';
    if (type === 'Exact') out.push({ name: m.name, exact: m.value });
    else if (type === 'RegularExpression') {
      const problem = regexProblem(m.value);
      if (problem) return problem;
      out.push({ name: m.name, regex: m.value });
    } else return `${what} match type ${type}: not expressible in Weft (Exact and RegularExpression are)`;
  }
  return out;
}

export function importHttpMatch(m: HttpMatch, at: PathSegment[], sink: NoteSink): WeftMatch | undefined {
  const out: WeftMatch = {};
  const drop = (problem: string, where: PathSegment[]) => {
    sink.note(where, `${problem}; this match is dropped`);
    return undefined;
  };
  if (m.path) {
    const path = importPath(m.path);
    if (typeof path === 'string') return drop(path, [...at, 'path']);
    out.path = path;
  }
  if (m.method !== undefined) {
    if (!/^[A-Za-z]+$/.test(m.method)) return drop(`method "${m.method}" is not an HTTP method`, [...at, 'method']);
    out.methods = [m.method.toUpperCase()];
  }
  if (m.headers?.length) {
    const headers = importValueMatches(m.headers, 'header', [...at, 'headers'], sink);
    if (typeof headers === 'string') return drop(headers, [...at, 'headers']);
    out.headers = headers;
  }
  if (m.queryParams?.length) {
    const query = importValueMatches(m.queryParams, 'query parameter', [...at, 'queryParams'], sink);
    if (typeof query === 'string') return drop(query, [...at, 'queryParams']);
    out.query = query;
  }
  return out;
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A gRPC method match: Weft's `grpc` match when exact with a service, else a path regex over `/service/method`. */
function importGrpcMethod(method: NonNullable<GrpcMatch['method']>): Pick<WeftMatch, 'grpc' | 'path'> | string {
  const type = method.type ?? 'Exact';
  if (type === 'Exact') {
    if (method.service !== undefined && !GRPC_SERVICE_NAME.test(method.service)) return `service "${method.service}" is not a gRPC service name`;
    if (method.method !== undefined && !GRPC_METHOD_NAME.test(method.method)) return `method "${method.method}" is not a gRPC method name`;
    if (method.service !== undefined) return { grpc: method.method !== undefined ? { service: method.service, method: method.method } : { service: method.service } };
    if (method.method !== undefined) return { path: { regex: `/[^/]+/${escapeRegex(method.method)}` } };
    return {};
  }
  if (type !== 'RegularExpression') return `method match type ${type}: not expressible in Weft (Exact and RegularExpression are)`;
  const regex = `/(?:${method.service ?? '[^/]+'})/(?:${method.method ?? '[^/]+'})`;
  return regexProblem(regex) ?? { path: { regex } };
}

export function importGrpcMatch(m: GrpcMatch, at: PathSegment[], sink: NoteSink): WeftMatch | undefined {
  const out: WeftMatch = {};
  const drop = (problem: string, where: PathSegment[]) => {
    sink.note(where, `${problem}; this match is dropped`);
    return undefined;
  };
  if (m.method) {
    const method = importGrpcMethod(m.method);
    if (typeof method === 'string') return drop(method, [...at, 'method']);
    Object.assign(out, method);
  }
  if (m.headers?.length) {
    const headers = importValueMatches(m.headers, 'header', [...at, 'headers'], sink);
    if (typeof headers === 'string') return drop(headers, [...at, 'headers']);
    out.headers = headers;
  }
  return out;
}
