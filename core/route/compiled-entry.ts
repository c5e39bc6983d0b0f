// A MatchEntry prepared once, at matcher build time: validated, regexes compiled, template
// parsed. Both matchers build on it, so a condition (method, header, query) means the same
// thing in each; only how candidates are found differs.

import { checkPattern, compilePattern } from './pattern.ts';
import { parseTemplate } from './template.ts';
import type { TemplateSegment } from './template.ts';
import type { MatchEntry, MatchRequest, PathMatch, ValueMatch } from './types.ts';

export interface CompiledValueMatch {
  readonly name: string;
  readonly kind: ValueMatch['kind'];
  /** The value of an exact or prefix condition ('' for the others). */
  readonly value: string;
  /** Set for regex conditions. */
  readonly regex: RegExp | undefined;
}

/** The conditions beside host and path; all must hold. */
export interface Conditions {
  /** Undefined when any method matches. */
  readonly methods: readonly string[] | undefined;
  readonly headers: readonly CompiledValueMatch[];
  readonly query: readonly CompiledValueMatch[];
}

export interface CompiledEntry<T> extends Conditions {
  readonly entry: MatchEntry<T>;
  /** Position in the entries given to the matcher: the last tie-break. */
  readonly index: number;
  /** Set for regex paths. */
  readonly pathRegex: RegExp | undefined;
  /** Set for template paths. */
  readonly template: readonly TemplateSegment[] | undefined;
  /** Template parameters: segment positions and names, in template order (empty otherwise). */
  readonly paramPositions: readonly number[];
  readonly paramNames: readonly string[];
  /** Set for prefix paths: the prefix's segments, trailing slashes ignored (`/` → []). */
  readonly prefixSegments: readonly string[] | undefined;
}

/** Why a path condition is invalid, or undefined when it is valid. */
export function checkPathMatch(path: PathMatch): string | undefined {
  switch (path.kind) {
    case 'exact':
    case 'prefix':
      return path.value.startsWith('/') ? undefined : `${path.kind} path "${path.value}" must start with "/"`;
    case 'template': {
      const parsed = parseTemplate(path.value);
      return Array.isArray(parsed) ? undefined : parsed.error;
    }
    case 'regex': {
      const error = checkPattern(path.value);
      return error === undefined ? undefined : `regex path "${path.value}" is invalid: ${error}`;
    }
  }
}

/** `/foo/bar/` → ['foo', 'bar']; `/` → []. */
export function prefixSegmentsOf(value: string): string[] {
  const segments = value.slice(1).split('/');
  while (segments.length > 0 && segments[segments.length - 1] === '') segments.pop();
  return segments;
}

/**
 * One shared copy of equal strings and arrays across a build. Thousands of routes repeat
 * the same segments (`api`, `items`) and parameter lists; sharing them keeps the data a
 * request touches small and hot in cache, so matching stays flat as routes grow.
 */
class Interner {
  readonly #strings = new Map<string, string>();
  readonly #arrays = new Map<string, readonly unknown[]>();

  string(value: string): string {
    const shared = this.#strings.get(value);
    if (shared !== undefined) return shared;
    this.#strings.set(value, value);
    return value;
  }

  array<A extends readonly unknown[]>(value: A): A {
    const key = JSON.stringify(value);
    const shared = this.#arrays.get(key) as A | undefined;
    if (shared !== undefined) return shared;
    this.#arrays.set(key, value);
    return value;
  }
}

function compileValueMatch(match: ValueMatch, where: string, interner: Interner): CompiledValueMatch {
  const name = interner.string(match.name);
  switch (match.kind) {
    case 'exact':
    case 'prefix':
      return { name, kind: match.kind, value: match.value, regex: undefined };
    case 'regex': {
      const error = checkPattern(match.value);
      if (error !== undefined) throw new Error(`${where} "${match.name}" regex "${match.value}" is invalid: ${error}`);
      return { name, kind: 'regex', value: '', regex: compilePattern(match.value) };
    }
    case 'present':
      return { name, kind: 'present', value: '', regex: undefined };
  }
}

function compileTemplate(value: string, interner: Interner) {
  const parsed = parseTemplate(value);
  if (!Array.isArray(parsed)) throw new Error(parsed.error);
  const template = parsed.map((segment): TemplateSegment =>
    segment.kind === 'literal'
      ? { kind: 'literal', value: interner.string(segment.value) }
      : { kind: 'param', name: interner.string(segment.name) },
  );
  const positions: number[] = [];
  const names: string[] = [];
  template.forEach((segment, position) => {
    if (segment.kind !== 'param') return;
    positions.push(position);
    names.push(segment.name);
  });
  return { template, paramPositions: interner.array(positions), paramNames: interner.array(names) };
}

const NO_PARAMS: { template: undefined; paramPositions: readonly number[]; paramNames: readonly string[] } = {
  template: undefined,
  paramPositions: [],
  paramNames: [],
};

/**
 * Validates and prepares entries. Throws on an invalid path, template or regex: the
 * compiler rejects those with a source position, so here one is a programming error.
 */
export function compileEntries<T>(entries: readonly MatchEntry<T>[]): CompiledEntry<T>[] {
  const interner = new Interner();
  return entries.map((entry, index) => {
    const where = `route entry #${index} (order ${entry.order})`;
    const pathError = checkPathMatch(entry.path);
    if (pathError !== undefined) throw new Error(`${where}: ${pathError}`);
    const { path } = entry;
    return {
      entry,
      index,
      methods: entry.methods.length > 0 ? interner.array(entry.methods) : undefined,
      headers: entry.headers.map((m) => compileValueMatch(m, `${where}: header`, interner)),
      query: entry.query.map((m) => compileValueMatch(m, `${where}: query parameter`, interner)),
      pathRegex: path.kind === 'regex' ? compilePattern(path.value) : undefined,
      ...(path.kind === 'template' ? compileTemplate(path.value, interner) : NO_PARAMS),
      prefixSegments: path.kind === 'prefix' ? prefixSegmentsOf(path.value).map((s) => interner.string(s)) : undefined,
    };
  });
}

function testValue(condition: CompiledValueMatch, actual: string | null): boolean {
  if (actual === null) return false;
  switch (condition.kind) {
    case 'exact':
      return actual === condition.value;
    case 'prefix':
      return actual.startsWith(condition.value);
    case 'regex':
      return condition.regex !== undefined && condition.regex.test(actual);
    case 'present':
      return true;
  }
}

/** Methods, headers and query: every condition must hold. */
export function passesConditions(conditions: Conditions, request: MatchRequest): boolean {
  if (conditions.methods !== undefined && !conditions.methods.includes(request.method)) return false;
  for (const header of conditions.headers) {
    if (!testValue(header, request.headers.get(header.name))) return false;
  }
  for (const param of conditions.query) {
    if (!testValue(param, request.query.get(param.name))) return false;
  }
  return true;
}

/**
 * A template's `{name}` captures from a path's segments (`path.slice(1).split('/')`),
 * which the caller has already matched against it.
 */
export function captureParams(
  paramPositions: readonly number[],
  paramNames: readonly string[],
  segments: readonly string[],
): Record<string, string> {
  const params: Record<string, string> = {};
  for (let i = 0; i < paramPositions.length; i++) {
    const name = paramNames[i] ?? '';
    const value = segments[paramPositions[i] ?? 0] ?? '';
    // Plain assignment to __proto__ would set the prototype; define it as an own property.
    if (name === '__proto__') {
      Object.defineProperty(params, name, { value, enumerable: true, writable: true, configurable: true });
    } else {
      params[name] = value;
    }
  }
  return params;
}
