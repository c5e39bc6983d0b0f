// The upstream check of one round trip, CompareRoundTrip (conformance/utils/http/http.go),
// ported rule for rule: status first; for a 200 or 204, what the backend saw (path, method,
// host, headers, absent headers, which backend) and the response headers; for a redirect, the
// Location's scheme, host, port and path. Header values are compared as upstream joins them
// (values of one name joined by ","), with spaces after commas ignored: Node and Workers join
// repeated headers with ", ", Go's echo server with ",".
import type { ExpectedResponse, RedirectRequest } from './types.ts';

/** What the echo backend reported it received; null when no backend answered. */
export interface CapturedRequest {
  backend: string;
  method: string;
  /** The request target: path and query. */
  path: string;
  /** The Host the backend was sent (the gateway plane reads it from X-Forwarded-Host, see docs/gateway.md#platform-limits). */
  host: string;
  headers: Record<string, string>;
}

export interface CapturedResponse {
  status: number;
  /** Lower-case names, values of one name joined by ", ". */
  headers: Record<string, string>;
}

/** The request as sent: its scheme, the case's Host as the plane translated it, the path after `{uuid}` and request-id substitutions. */
export interface SentRequest {
  scheme: 'http' | 'https';
  method: string;
  host: string | undefined;
  path: string;
}

const REDIRECTS = new Set([300, 301, 302, 303, 304, 305, 307, 308]);
const TIMEOUTS = new Set([408, 504]);

function joined(value: string): string {
  return value
    .split(',')
    .map((v) => v.trim())
    .join(',');
}

function lower(h: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
}

function noSpaces(v: string): string {
  return v.replaceAll(' ', '');
}

function compareRedirect(expected: RedirectRequest, sent: SentRequest, requestUrl: string, res: CapturedResponse): string | null {
  const location = res.headers.location;
  if (location === undefined) return `a ${res.status} without a Location`;
  const got = new URL(location, requestUrl);
  const gotScheme = got.protocol.slice(0, -1);
  const want = { host: expected.host ?? got.hostname, scheme: expected.scheme ?? sent.scheme, path: expected.path ?? sent.path.split('?')[0] };
  if (want.host !== got.hostname) return `expected redirected hostname to be "${want.host}", got "${got.hostname}"`;
  // WHATWG URL drops a scheme's default port, as Go's client sees it absent.
  if (expected.port === undefined) {
    if (gotScheme === 'http' && got.port !== '' && got.port !== '80') return `for http scheme, expected redirected port to be 80 or not set, got "${got.port}"`;
    if (gotScheme === 'https' && got.port !== '' && got.port !== '443') return `for https scheme, expected redirected port to be 443 or not set, got "${got.port}"`;
  } else if (expected.port !== got.port) return `expected redirected port to be "${expected.port}", got "${got.port}"`;
  if (want.scheme !== gotScheme) return `expected redirected scheme to be "${want.scheme}", got "${gotScheme}"`;
  if (want.path !== got.pathname) return `expected redirected path to be "${want.path}", got "${got.pathname}"`;
  return null;
}

function compareResponseHeaders(e: ExpectedResponse, res: CapturedResponse): string | null {
  const r = e.response ?? {};
  const strip = r.ignoreWhitespace ? noSpaces : (v: string) => v;
  for (const [name, valid] of Object.entries(r.validHeaderValues ?? {})) {
    const got = res.headers[name.toLowerCase()];
    if (got === undefined) return `expected ${name} header to be set, actual headers: ${JSON.stringify(res.headers)}`;
    if (!valid.map((v) => strip(joined(v))).includes(strip(joined(got)))) return `expected ${name} header to be set to one of ${JSON.stringify(valid)}, got ${got}`;
  }
  for (const [name, want] of Object.entries(r.headers ?? {})) {
    const got = res.headers[name.toLowerCase()];
    if (got === undefined) return `expected ${name} header to be set, actual headers: ${JSON.stringify(res.headers)}`;
    if (strip(joined(got)) !== strip(joined(want))) return `expected ${name} header to be set to ${want}, got ${got}`;
  }
  for (const name of r.absentHeaders ?? []) {
    const got = res.headers[name.toLowerCase()];
    if (got !== undefined) return `expected ${name} header to not be set, got ${got}`;
  }
  return null;
}

function compareBackendRequest(e: ExpectedResponse, sent: SentRequest, seen: CapturedRequest | null): string | null {
  const want = e.expectedRequest ?? { ...e.request, host: sent.host, path: sent.path };
  // No echo (a preflight the gateway answered): upstream assumes the request it made, and nothing else.
  const got: CapturedRequest = seen ?? { backend: '', method: sent.method, path: '', host: '', headers: {} };
  const method = want.method ?? 'GET';
  if (want.host && want.host !== got.host) return `expected host to be ${want.host}, got ${got.host}`;
  if ((want.path ?? '') !== got.path) return `expected path to be ${want.path ?? ''}, got ${got.path}`;
  if (method !== got.method) return `expected method to be ${method}, got ${got.method}`;
  const headers = lower(got.headers);
  for (const [name, value] of Object.entries(want.headers ?? {})) {
    const actual = headers[name.toLowerCase()];
    if (actual === undefined) return `expected ${name} header to be set, actual headers: ${JSON.stringify(got.headers)}`;
    if (joined(actual) !== joined(value)) return `expected ${name} header to be set to ${value}, got ${actual}`;
  }
  for (const name of want.absentHeaders ?? []) {
    const actual = headers[name.toLowerCase()];
    if (actual !== undefined) return `expected ${name} header to not be set, got ${actual}`;
  }
  if (!got.backend.startsWith(e.backend ?? '')) return `expected pod name to start with ${e.backend}, got ${got.backend}`;
  return null;
}

/** Null when the round trip is what `e` expects, else what differs (upstream's message). */
export function compareRoundTrip(e: ExpectedResponse, sent: SentRequest, requestUrl: string, res: CapturedResponse, seen: CapturedRequest | null): string | null {
  const r = e.response ?? {};
  const codes = [...(r.statusCodes ?? []), ...(r.statusCode !== undefined && !(r.statusCodes ?? []).includes(r.statusCode) ? [r.statusCode] : [])];
  const statuses = codes.length > 0 ? codes : [200];
  if (TIMEOUTS.has(res.status) && statuses.some((s) => TIMEOUTS.has(s))) return null;
  if (!statuses.includes(res.status)) return `expected status code to be one of [${statuses.join(' ')}], got ${res.status}`;
  if (res.status === 200 || res.status === 204) return compareBackendRequest(e, sent, seen) ?? compareResponseHeaders(e, res);
  if (REDIRECTS.has(res.status) && e.redirectRequest) return compareRedirect(e.redirectRequest, sent, requestUrl, res);
  return null;
}
