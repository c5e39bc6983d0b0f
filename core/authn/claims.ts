// Claims by name, as forwardClaims (authn) and `when: [{ claim }]` (access) read them.
// A name is looked up as a whole first (claim names such as `https://example.com/roles`
// contain dots), then as a dotted path into nested objects (`realm_access.roles`); a mix
// of both works too (`https://example.com/org.id`). Only own properties are read, so
// `__proto__`, `constructor` and friends never resolve to anything.

/** The value of claim `name`, or undefined when there is none. */
export function resolveClaim(claims: Record<string, unknown> | null | undefined, name: string): unknown {
  if (claims === null || claims === undefined || typeof claims !== 'object') return undefined;
  return lookup(claims, name, 0);
}

function lookup(obj: Record<string, unknown>, name: string, depth: number): unknown {
  if (Object.hasOwn(obj, name)) return obj[name];
  if (depth > 32) return undefined;
  for (let dot = name.indexOf('.'); dot > 0 && dot < name.length - 1; dot = name.indexOf('.', dot + 1)) {
    const head = name.slice(0, dot);
    if (!Object.hasOwn(obj, head)) continue;
    const next = obj[head];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) continue;
    const found = lookup(next as Record<string, unknown>, name.slice(dot + 1), depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * A claim as text for an upstream header: strings as they are, numbers and booleans
 * stringified, arrays joined with "," (elements that are not strings as JSON), objects as
 * JSON. null/undefined give null (no header). Characters a header value cannot carry
 * (non-ASCII) are percent-encoded as UTF-8; a value with control characters (CR, LF, NUL…)
 * gives null, so a claim can never smuggle a second header.
 */
export function claimHeaderValue(value: unknown): string | null {
  let text: string;
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') text = value;
  else if (typeof value === 'number' || typeof value === 'boolean') text = String(value);
  else if (Array.isArray(value)) text = value.map((v) => (typeof v === 'string' ? v : JSON.stringify(v) ?? '')).join(',');
  else if (typeof value === 'object') text = JSON.stringify(value);
  else return null;
  let ascii = true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) return null;
    if (c > 0x7f) ascii = false;
  }
  return ascii ? text : text.replace(/[^\x20-\x7e\t]+/g, percentEncodeUtf8);
}

function percentEncodeUtf8(run: string): string {
  let out = '';
  for (const byte of new TextEncoder().encode(run)) out += '%' + byte.toString(16).toUpperCase().padStart(2, '0');
  return out;
}

/**
 * Claim values as the strings access rules compare against: a string, number or boolean
 * gives one value; an array gives each such element; anything else gives none.
 */
export function claimValues(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (typeof value === 'number' || typeof value === 'boolean') return [String(value)];
  if (Array.isArray(value)) return value.flatMap((v) => (typeof v === 'string' ? [v] : typeof v === 'number' || typeof v === 'boolean' ? [String(v)] : []));
  return [];
}
