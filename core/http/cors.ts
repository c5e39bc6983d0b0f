// CORS at the edge (Fetch standard, with the Gateway API's HTTPCORSFilter rules): answering
// preflights, and the headers on actual responses. Origins are exact
// (`https://app.example.com`), subdomain wildcards (`https://*.example.com`: any depth, not
// the apex), any host of a scheme (`https://*`) or `*`. Without a port an origin means its
// scheme's default one.
//
// A `*` (any origin, method, header) is answered as `*` only without credentials: browsers
// read `*` literally on a credentialed request, so with `allowCredentials` the answer names
// what the request asked for: its Origin, its requested method and headers, and, for
// `exposeHeaders: ['*']`, the names of the response's own headers (exposedHeaderNames).
import type { CompiledCors } from '../policy/route/compile.ts';

export type CorsPreflightDecision =
  | { kind: 'preflight'; status: 204; headers: Record<string, string> }
  | { kind: 'not-preflight' }
  | { kind: 'rejected'; status: 403; reason: string };

interface RequestView {
  method: string;
  headers: { get(name: string): string | null };
}

const ORIGIN = /^(https?):\/\/([a-z0-9.-]+)(?::(\d+))?$/;
/** An allowOrigins entry: a host, `*.` and a domain, or `*` alone for any host of the scheme. */
const PATTERN = /^(https?):\/\/(\*|(?:\*\.)?[a-z0-9.-]+)(?::(\d+))?$/;
const LABELS = /^[a-z0-9-]+(\.[a-z0-9-]+)*$/;
const DEFAULT_PORT: Record<string, string> = { http: '80', https: '443' };
/** CORS-safelisted methods: a browser sends them without asking (Fetch), so they are always allowed. */
const SAFELISTED_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST']);

interface Origin {
  scheme: string;
  host: string;
  /** The written port, else the scheme's default. */
  port: string;
}

function parse(re: RegExp, text: string): Origin | undefined {
  const m = re.exec(text);
  if (!m) return undefined;
  const scheme = m[1] as string;
  return { scheme, host: m[2] as string, port: m[3] ?? (DEFAULT_PORT[scheme] as string) };
}

function matchesOrigin(pattern: string, origin: Origin): boolean {
  if (pattern === '*') return true;
  const p = parse(PATTERN, pattern.toLowerCase());
  if (!p || p.scheme !== origin.scheme || p.port !== origin.port) return false;
  if (p.host === '*') return true;
  if (!p.host.startsWith('*.')) return p.host === origin.host;
  const suffix = p.host.slice(1);
  // the part the `*` stands for: whole DNS labels, so `evil-example.com` never matches
  return origin.host.endsWith(suffix) && LABELS.test(origin.host.slice(0, -suffix.length));
}

/** The request's Origin if `cors` allows it, normalized to lower case; else undefined. */
export function allowedOrigin(cors: CompiledCors, origin: string | null): string | undefined {
  if (origin === null) return undefined;
  const o = origin.trim().toLowerCase();
  const p = parse(ORIGIN, o);
  // `null` (sandboxed frames, file:) and malformed origins only pass a `*` policy
  if (!p) return cors.allowOrigins.includes('*') && o !== '' ? o : undefined;
  return cors.allowOrigins.some((pattern) => matchesOrigin(pattern, p)) ? o : undefined;
}

const any = (list: readonly string[]): boolean => list.length === 1 && list[0] === '*';

// `*` as a literal answer only works without credentials; with them, echo the origin.
function allowOriginValue(cors: CompiledCors, origin: string): string {
  return any(cors.allowOrigins) && !cors.allowCredentials ? '*' : origin;
}

// The answer depends on the Origin unless it is a constant `*`, and caches must know.
function varies(cors: CompiledCors): boolean {
  return !(any(cors.allowOrigins) && !cors.allowCredentials);
}

function listTokens(value: string | null): string[] {
  return (value ?? '')
    .split(',')
    .map((t) => t.trim().toLowerCase())
    .filter((t) => t !== '');
}

/** Access-Control-Allow-Methods: the list, or for `*` either `*` or (credentials) the method asked for. */
function allowMethodsValue(cors: CompiledCors, requested: string): string {
  if (!any(cors.allowMethods)) return cors.allowMethods.join(', ');
  return cors.allowCredentials ? requested : '*';
}

/** Access-Control-Allow-Headers, or undefined to send none. */
function allowHeadersValue(cors: CompiledCors, requested: readonly string[]): string | undefined {
  if (!any(cors.allowHeaders)) return cors.allowHeaders.length > 0 ? cors.allowHeaders.join(', ') : undefined;
  if (!cors.allowCredentials) return '*';
  return requested.length > 0 ? requested.join(', ') : undefined;
}

/** Access-Control-Expose-Headers known before the response, or undefined (none, or `*` with credentials: see exposedHeaderNames). */
function exposeHeadersValue(cors: CompiledCors): string | undefined {
  if (cors.exposeHeaders.length === 0) return undefined;
  if (!any(cors.exposeHeaders)) return cors.exposeHeaders.join(', ');
  return cors.allowCredentials ? undefined : '*';
}

/**
 * A preflight is OPTIONS with Origin and Access-Control-Request-Method. It passes when the
 * origin, the method (a safelisted one always) and every requested header are allowed;
 * otherwise 403 with the reason.
 */
export function corsPreflight(cors: CompiledCors, request: RequestView): CorsPreflightDecision {
  const origin = request.headers.get('origin');
  const method = request.headers.get('access-control-request-method');
  if (request.method.toUpperCase() !== 'OPTIONS' || origin === null || method === null) return { kind: 'not-preflight' };
  const allowed = allowedOrigin(cors, origin);
  if (!allowed) return { kind: 'rejected', status: 403, reason: `origin ${origin} is not allowed` };
  // Compared upper-cased, as the policy's methods are written; answered as asked.
  const m = method.trim();
  const upper = m.toUpperCase();
  if (!any(cors.allowMethods) && !SAFELISTED_METHODS.has(upper) && !cors.allowMethods.includes(upper))
    return { kind: 'rejected', status: 403, reason: `method ${m} is not allowed (allowed: ${cors.allowMethods.join(', ') || 'none'})` };
  const requested = listTokens(request.headers.get('access-control-request-headers'));
  const refused = any(cors.allowHeaders) ? [] : requested.filter((h) => !cors.allowHeaders.includes(h));
  if (refused.length > 0) return { kind: 'rejected', status: 403, reason: `request headers not allowed: ${refused.join(', ')}` };
  const headers: Record<string, string> = {
    'access-control-allow-origin': allowOriginValue(cors, allowed),
    'access-control-allow-methods': allowMethodsValue(cors, m),
    vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
  };
  const allowHeaders = allowHeadersValue(cors, requested);
  if (allowHeaders !== undefined) headers['access-control-allow-headers'] = allowHeaders;
  const expose = exposeHeadersValue(cors);
  if (expose !== undefined) headers['access-control-expose-headers'] = expose;
  if (cors.allowCredentials) headers['access-control-allow-credentials'] = 'true';
  headers['access-control-max-age'] = String(cors.maxAgeSeconds);
  return { kind: 'preflight', status: 204, headers };
}

/**
 * Headers for an actual (non-preflight) response. `vary: Origin` comes whenever the answer
 * depends on the origin, even for a refused or absent Origin: callers append it to any
 * existing Vary rather than replace it.
 */
export function corsResponseHeaders(cors: CompiledCors, origin: string | null): Record<string, string> {
  const headers: Record<string, string> = varies(cors) ? { vary: 'Origin' } : {};
  const allowed = allowedOrigin(cors, origin);
  if (!allowed) return headers;
  headers['access-control-allow-origin'] = allowOriginValue(cors, allowed);
  if (cors.allowCredentials) headers['access-control-allow-credentials'] = 'true';
  const expose = exposeHeadersValue(cors);
  if (expose !== undefined) headers['access-control-expose-headers'] = expose;
  return headers;
}

/** Response headers a page can read without being told (Fetch: CORS-safelisted response header names). */
const SAFELISTED_RESPONSE: ReadonlySet<string> = new Set(['cache-control', 'content-language', 'content-length', 'content-type', 'expires', 'last-modified', 'pragma']);

/**
 * For `exposeHeaders: ['*']` with credentials, where `*` cannot be answered: the names of
 * the response's own headers, for an allowed origin; else undefined (nothing to add).
 */
export function exposedHeaderNames(cors: CompiledCors, origin: string | null, responseHeaderNames: Iterable<string>): string | undefined {
  if (!cors.allowCredentials || !any(cors.exposeHeaders) || !allowedOrigin(cors, origin)) return undefined;
  const names = new Set<string>();
  for (const name of responseHeaderNames) {
    const n = name.toLowerCase();
    if (!SAFELISTED_RESPONSE.has(n) && !n.startsWith('access-control-') && n !== 'set-cookie' && n !== 'vary') names.add(n);
  }
  return names.size > 0 ? [...names].join(', ') : undefined;
}
