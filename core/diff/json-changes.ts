import { canonicalJson } from '../snapshot/canonical-json.ts';

// Field-level differences between two JSON values, as reviewer-readable lines
// (`timeoutMs: 10000 → 5000`). Arrays of scalars are compared as sets (+/- members).

export interface FieldChange {
  path: string;
  before: unknown;
  after: unknown;
}

/** Equal as JSON values, whatever the key order (a snapshot read back from disk has sorted keys). */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === undefined || b === undefined) return a === b;
  return canonicalJson(a) === canonicalJson(b);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function join(base: string, key: string | number): string {
  return typeof key === 'number' ? `${base}[${key}]` : base ? `${base}.${key}` : key;
}

export function jsonChanges(before: unknown, after: unknown, path = ''): FieldChange[] {
  if (sameJson(before, after)) return [];
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((k) => jsonChanges(before[k], after[k], join(path, k)));
  }
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length && before.some(isObject))
    return before.flatMap((b, i) => jsonChanges(b, after[i], join(path, i)));
  return [{ path, before, after }];
}

export function formatValue(v: unknown): string {
  if (v === undefined) return '(none)';
  if (Array.isArray(v) && v.every((x) => typeof x !== 'object')) return `[${v.join(', ')}]`;
  return typeof v === 'string' ? v : JSON.stringify(v);
}

export function describeChange(c: FieldChange): string {
  if (Array.isArray(c.before) && Array.isArray(c.after) && [...c.before, ...c.after].every((x) => typeof x !== 'object')) {
    const added = c.after.filter((x) => !(c.before as unknown[]).includes(x));
    const removed = c.before.filter((x) => !(c.after as unknown[]).includes(x));
    const parts = [...added.map((x) => `+${String(x)}`), ...removed.map((x) => `-${String(x)}`)];
    if (parts.length > 0) return `${c.path}: ${parts.join(' ')}`;
  }
  return `${c.path}: ${formatValue(c.before)} → ${formatValue(c.after)}`;
}
