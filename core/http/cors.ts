// CORS at the edge (Fetch standard): answering preflights, and the headers on actual
// responses. Origins are exact (`https://app.example.com`), subdomain wildcards
// (`https://*.example.com`: any depth, not the apex) or `*`.
import type { CompiledCors } from '../policy/route/compile.ts';

export type CorsPreflightDecision =
  | { kind: 'preflight'; status: 204; headers: Record<string, string> }
  | { kind: 'not-preflight' }
  | { kind: 'rejected'; status: 403; reason: string };

interface RequestView {
  method: string;
  headers: { get(name: string): string | null };
}

const ORIGIN = /^(https?):\/\/([a-z0-9.-]+)(:\d+)?$/;
const LABELS = /^[a-z0-9-]+(\.[a-z0-9-]+)*$/;

function matchesOrigin(pattern: string, origin: string): boolean {
  if (pattern === '*') return true;
  const p = pattern.toLowerCase();
  if (!p.includes('://*.')) return p === origin;
  const [scheme, rest] = p.split('://*.') as [string, string];
  const prefix = `${scheme}://`;
  const suffix = `.${rest}`;
  if (!origin.startsWith(prefix) || !origin.endsWith(suffix)) return false;
  // the part the `*` stands for: whole DNS labels, so `evil-example.com` never matches
  return LABELS.test(origin.slice(prefix.length, origin.length - suffix.length));
}

/** The request's Origin if `cors` allows it, normalized to lower case; else undefined. */
export function allowedOrigin(cors: CompiledCors, origin: string | null): string | undefined {
  if (origin === null) return undefined;
  const o = origin.trim().toLowerCase();
  // `null` (sandboxed frames, file:) and malformed origins only pass a `*` policy
  if (!ORIGIN.test(o)) return cors.allowOrigins.includes('*') && o !== '' ? o : undefined;
  return cors.allowOrigins.some((p) => matchesOrigin(p, o)) ? o : undefined;
}

// `*` as a literal answer only works without credentials; with them, echo the origin.
function allowOriginValue(cors: CompiledCors, origin: string): string {
  return cors.allowOrigins.includes('*') && !cors.allowCredentials ? '*' : origin;
}

// The answer depends on the Origin unless it is a constant `*`, and caches must know.
function varies(cors: CompiledCors): boolean {
  return !(cors.allowOrigins.includes('*') && !cors.allowCredentials);
}

function listTokens(value: string | null): string[] {
  return (value ?? '')
    .split(',')
    .map((t) => t.trim().toLowerCase())
    .filter((t) => t !== '');
}

/**
 * A preflight is OPTIONS with Origin and Access-Control-Request-Method. It passes when the
 * origin, the method and every requested header are allowed; otherwise 403 with the reason.
 */
export function corsPreflight(cors: CompiledCors, request: RequestView): CorsPreflightDecision {
  const origin = request.headers.get('origin');
  const method = request.headers.get('access-control-request-method');
  if (request.method.toUpperCase() !== 'OPTIONS' || origin === null || method === null) return { kind: 'not-preflight' };
  const allowed = allowedOrigin(cors, origin);
  if (!allowed) return { kind: 'rejected', status: 403, reason: `origin ${origin} is not allowed` };
  const m = method.trim().toUpperCase();
  if (!cors.allowMethods.includes(m))
    return { kind: 'rejected', status: 403, reason: `method ${m} is not allowed (allowed: ${cors.allowMethods.join(', ') || 'none'})` };
  const requested = listTokens(request.headers.get('access-control-request-headers'));
  const wildcardHeaders = cors.allowHeaders.includes('*') && !cors.allowCredentials;
  const refused = wildcardHeaders ? [] : requested.filter((h) => !cors.allowHeaders.includes(h));
  if (refused.length > 0) return { kind: 'rejected', status: 403, reason: `request headers not allowed: ${refused.join(', ')}` };
  const headers: Record<string, string> = {
    'access-control-allow-origin': allowOriginValue(cors, allowed),
    'access-control-allow-methods': cors.allowMethods.join(', '),
    vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
  };
  if (requested.length > 0) headers['access-control-allow-headers'] = requested.join(', ');
  if (cors.allowCredentials) headers['access-control-allow-credentials'] = 'true';
  if (cors.maxAgeSeconds !== null) headers['access-control-max-age'] = String(cors.maxAgeSeconds);
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
  if (cors.exposeHeaders.length > 0) headers['access-control-expose-headers'] = cors.exposeHeaders.join(', ');
  return headers;
}
