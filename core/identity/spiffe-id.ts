// SPIFFE IDs (https://github.com/spiffe/spiffe/blob/main/standards/SPIFFE-ID.md): Weft's
// workload names, `spiffe://<trust-domain>/ns/<namespace>/sa/<service>`. Parsing is strict,
// as the spec asks, because these strings decide who may call whom; principal patterns in
// access policies match them with `*` wildcards and nothing else.

export interface SpiffeId {
  trustDomain: string;
  /** `''` for a trust domain's own ID, else `/seg/seg…`. */
  path: string;
  /** Set when the path is `/ns/<namespace>/sa/<service>`. */
  namespace?: string;
  service?: string;
}

const SCHEME = 'spiffe://';
const TRUST_DOMAIN = /^[a-z0-9._-]+$/;
const SEGMENT = /^[A-Za-z0-9._-]+$/;
const MAX_ID_BYTES = 2048;
const MAX_TRUST_DOMAIN = 255;

export type SpiffeIdCheck = { ok: true; id: SpiffeId } | { ok: false; reason: string };

/** Parses a SPIFFE ID and says what is wrong with it when it is not one. */
export function checkSpiffeId(id: string): SpiffeIdCheck {
  if (typeof id !== 'string' || id === '') return { ok: false, reason: 'SPIFFE ID is empty' };
  if (new TextEncoder().encode(id).length > MAX_ID_BYTES) return { ok: false, reason: `SPIFFE ID is longer than ${MAX_ID_BYTES} bytes` };
  if (!id.startsWith(SCHEME)) return { ok: false, reason: 'SPIFFE ID must start with "spiffe://"' };
  const rest = id.slice(SCHEME.length);
  const slash = rest.indexOf('/');
  const trustDomain = slash < 0 ? rest : rest.slice(0, slash);
  const path = slash < 0 ? '' : rest.slice(slash);
  if (trustDomain === '') return { ok: false, reason: 'SPIFFE ID has no trust domain' };
  if (trustDomain.length > MAX_TRUST_DOMAIN) return { ok: false, reason: `trust domain is longer than ${MAX_TRUST_DOMAIN} characters` };
  if (!TRUST_DOMAIN.test(trustDomain))
    return { ok: false, reason: `trust domain "${trustDomain}" may hold only lower-case letters, digits, ".", "-" and "_" (no port, user info, query or fragment)` };
  if (path === '') return { ok: true, id: { trustDomain, path } };
  const segments = path.slice(1).split('/');
  for (const segment of segments) {
    if (segment === '') return { ok: false, reason: path.endsWith('/') ? 'SPIFFE ID path must not end with "/"' : 'SPIFFE ID path has an empty segment' };
    if (segment === '.' || segment === '..') return { ok: false, reason: `SPIFFE ID path must not contain "${segment}" segments` };
    if (!SEGMENT.test(segment)) return { ok: false, reason: `SPIFFE ID path segment "${segment}" may hold only letters, digits, ".", "-" and "_"` };
  }
  const parsed: SpiffeId = { trustDomain, path };
  if (segments.length === 4 && segments[0] === 'ns' && segments[2] === 'sa') {
    parsed.namespace = segments[1];
    parsed.service = segments[3];
  }
  return { ok: true, id: parsed };
}

export function parseSpiffeId(id: string): SpiffeId | undefined {
  const checked = checkSpiffeId(id);
  return checked.ok ? checked.id : undefined;
}

/** `spiffe://<td>/ns/<ns>/sa/<service>`; throws a TypeError if a part would not make a valid ID. */
export function formatSpiffeId(trustDomain: string, namespace: string, service: string): string {
  for (const [what, value] of [['namespace', namespace], ['service', service]] as const)
    if (!SEGMENT.test(value) || value === '.' || value === '..') throw new TypeError(`${what} "${value}" cannot be a SPIFFE ID path segment`);
  const id = `${SCHEME}${trustDomain}/ns/${namespace}/sa/${service}`;
  const checked = checkSpiffeId(id);
  if (!checked.ok) throw new TypeError(checked.reason);
  return id;
}

/** The trust domain's own ID, `spiffe://<td>` (the CA's URI SAN). */
export function trustDomainId(trustDomain: string): string {
  const id = `${SCHEME}${trustDomain}`;
  const checked = checkSpiffeId(id);
  if (!checked.ok || checked.id.path !== '') throw new TypeError(checked.ok ? `"${trustDomain}" is not a trust domain name` : checked.reason);
  return id;
}

/**
 * Istio-style principal match: `*` stands for any run of characters (including none and
 * including "/"); every other character, regex metacharacters included, matches itself.
 */
export function principalMatches(pattern: string, id: string): boolean {
  const parts = pattern.split('*');
  if (parts.length === 1) return pattern === id;
  const first = parts[0] as string;
  const last = parts[parts.length - 1] as string;
  if (id.length < first.length + last.length || !id.startsWith(first) || !id.endsWith(last)) return false;
  const end = id.length - last.length;
  let at = first.length;
  for (let i = 1; i < parts.length - 1; i++) {
    const part = parts[i] as string;
    if (part === '') continue;
    const found = id.indexOf(part, at);
    if (found < 0 || found + part.length > end) return false;
    at = found + part.length;
  }
  return true;
}
