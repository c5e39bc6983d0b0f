// The path side of the indexed matcher: one PathIndex per host bucket, built once. It finds
// the winning entry without scanning the bucket's entries:
//   exact    — a Map from path to candidates: one lookup;
//   template — a segment trie (literal children, one parameter child), searched
//              depth first, literal before parameter, so the first terminal that yields a
//              passing candidate is the most specific template (precedence rule 3);
//   prefix   — a segment trie walked along the request's segments, collecting terminals;
//              the deepest terminal with a passing candidate wins;
//   regex    — the one linear part: each distinct regex is tested per request (entries
//              sharing a regex share the test). Regex routes cost per regex.
// Kinds are tried in precedence order (exact, template, prefix, regex); the first that
// yields a passing candidate wins. Conditions are checked only on path matches, and the
// candidate sets (candidate-set.ts) index header and query values.

import { buildCandidateSet, candidate, firstPassing } from './candidate-set.ts';
import type { Candidate, CandidateSet } from './candidate-set.ts';
import type { CompiledEntry } from './compiled-entry.ts';
import { compareTieBreak } from './precedence.ts';
import type { MatchRequest } from './types.ts';

/**
 * A trie node's literal children. Most nodes of a large trie have a single child, which is
 * kept inline and compared directly: one Map per node would cost memory and, per request,
 * a cache miss per segment.
 */
interface LiteralChildren<N> {
  readonly oneKey: string | undefined;
  readonly oneChild: N | undefined;
  readonly many: ReadonlyMap<string, N> | undefined;
}

interface TemplateNode<T> extends LiteralChildren<TemplateNode<T>> {
  readonly param: TemplateNode<T> | undefined;
  readonly terminal: CandidateSet<T> | undefined;
}

interface PrefixNode<T> extends LiteralChildren<PrefixNode<T>> {
  readonly terminal: CandidateSet<T> | undefined;
}

function literalChild<N>(node: LiteralChildren<N>, segment: string): N | undefined {
  if (node.many) return node.many.get(segment);
  return node.oneKey === segment ? node.oneChild : undefined;
}

function freezeChildren<T, N>(children: Map<string, BuilderNode<T>>, freeze: (node: BuilderNode<T>) => N): LiteralChildren<N> {
  if (children.size === 0) return { oneKey: undefined, oneChild: undefined, many: undefined };
  const [first] = children;
  if (children.size === 1 && first) return { oneKey: first[0], oneChild: freeze(first[1]), many: undefined };
  const many = new Map<string, N>();
  for (const [segment, child] of children) many.set(segment, freeze(child));
  return { oneKey: undefined, oneChild: undefined, many };
}

interface RegexGroup<T> {
  readonly regex: RegExp;
  readonly minRank: number;
  readonly candidates: CandidateSet<T>;
}

export interface PathIndex<T> {
  readonly exact: ReadonlyMap<string, CandidateSet<T>>;
  readonly templates: TemplateNode<T> | undefined;
  readonly prefixes: PrefixNode<T> | undefined;
  /** Sorted by minRank, so the search can stop once no group can beat the best so far. */
  readonly regexGroups: readonly RegexGroup<T>[];
}

/** A request path, split into segments (`path.slice(1).split('/')`) only when a trie needs them. */
export class RequestPath {
  readonly path: string;
  #segments: string[] | undefined;
  constructor(path: string) {
    this.path = path;
  }
  get segments(): string[] {
    this.#segments ??= this.path.slice(1).split('/');
    return this.#segments;
  }
}

interface BuilderNode<T> {
  children: Map<string, BuilderNode<T>>;
  param: BuilderNode<T> | undefined;
  entries: CompiledEntry<T>[];
}

function builderNode<T>(): BuilderNode<T> {
  return { children: new Map(), param: undefined, entries: [] };
}

function candidatesOf<T>(entries: readonly CompiledEntry<T>[]): CandidateSet<T> | undefined {
  if (entries.length === 0) return undefined;
  const sorted = [...entries].sort(compareTieBreak);
  return buildCandidateSet(sorted.map((compiled, rank) => candidate(rank, compiled)));
}

function freezeTemplate<T>(node: BuilderNode<T>): TemplateNode<T> {
  return {
    ...freezeChildren(node.children, freezeTemplate),
    param: node.param && freezeTemplate(node.param),
    terminal: candidatesOf(node.entries),
  };
}

function freezePrefix<T>(node: BuilderNode<T>): PrefixNode<T> {
  return { ...freezeChildren(node.children, freezePrefix), terminal: candidatesOf(node.entries) };
}

function child<T>(node: BuilderNode<T>, segment: string): BuilderNode<T> {
  let next = node.children.get(segment);
  if (!next) {
    next = builderNode();
    node.children.set(segment, next);
  }
  return next;
}

export function buildPathIndex<T>(entries: readonly CompiledEntry<T>[]): PathIndex<T> {
  const exact = new Map<string, CompiledEntry<T>[]>();
  const templateRoot = builderNode<T>();
  const prefixRoot = builderNode<T>();
  const regexEntries: CompiledEntry<T>[] = [];
  let hasTemplates = false;
  let hasPrefixes = false;

  for (const compiled of entries) {
    const { path } = compiled.entry;
    if (path.kind === 'exact') {
      const list = exact.get(path.value);
      if (list) list.push(compiled);
      else exact.set(path.value, [compiled]);
    } else if (path.kind === 'template') {
      hasTemplates = true;
      let node = templateRoot;
      for (const segment of compiled.template ?? []) {
        if (segment.kind === 'literal') node = child(node, segment.value);
        else node = node.param ??= builderNode();
      }
      node.entries.push(compiled);
    } else if (path.kind === 'prefix') {
      hasPrefixes = true;
      let node = prefixRoot;
      for (const segment of compiled.prefixSegments ?? []) node = child(node, segment);
      node.entries.push(compiled);
    } else {
      regexEntries.push(compiled);
    }
  }

  const exactSets = new Map<string, CandidateSet<T>>();
  for (const [value, list] of exact) {
    const set = candidatesOf(list);
    if (set) exactSets.set(value, set);
  }

  // Regex ranks span the whole bucket, so the best across groups is the lowest rank.
  const groups = new Map<string, { regex: RegExp; candidates: Candidate<T>[] }>();
  regexEntries.sort(compareTieBreak).forEach((compiled, rank) => {
    const source = compiled.entry.path.value;
    const regex = compiled.pathRegex;
    if (!regex) return;
    const group = groups.get(source);
    if (group) group.candidates.push(candidate(rank, compiled));
    else groups.set(source, { regex, candidates: [candidate(rank, compiled)] });
  });
  const regexGroups = [...groups.values()]
    .map((group) => ({
      regex: group.regex,
      minRank: group.candidates[0]?.rank ?? Number.POSITIVE_INFINITY,
      candidates: buildCandidateSet(group.candidates),
    }))
    .sort((a, b) => a.minRank - b.minRank);

  return {
    exact: exactSets,
    templates: hasTemplates ? freezeTemplate(templateRoot) : undefined,
    prefixes: hasPrefixes ? freezePrefix(prefixRoot) : undefined,
    regexGroups,
  };
}

function searchTemplates<T>(
  node: TemplateNode<T>,
  segments: readonly string[],
  depth: number,
  request: MatchRequest,
): Candidate<T> | undefined {
  if (depth === segments.length) return node.terminal && firstPassing(node.terminal, request);
  const segment = segments[depth] ?? '';
  const literal = literalChild(node, segment);
  if (literal) {
    const found = searchTemplates(literal, segments, depth + 1, request);
    if (found) return found;
  }
  if (node.param && segment !== '') return searchTemplates(node.param, segments, depth + 1, request);
  return undefined;
}

function searchPrefixes<T>(root: PrefixNode<T>, segments: readonly string[], request: MatchRequest): Candidate<T> | undefined {
  const terminals: CandidateSet<T>[] = [];
  let node: PrefixNode<T> | undefined = root;
  if (root.terminal) terminals.push(root.terminal);
  for (const segment of segments) {
    node = literalChild(node, segment);
    if (!node) break;
    if (node.terminal) terminals.push(node.terminal);
  }
  for (let i = terminals.length - 1; i >= 0; i--) {
    const terminal = terminals[i];
    const found = terminal && firstPassing(terminal, request);
    if (found) return found;
  }
  return undefined;
}

function searchRegexes<T>(groups: readonly RegexGroup<T>[], path: string, request: MatchRequest): Candidate<T> | undefined {
  let best: Candidate<T> | undefined;
  for (const group of groups) {
    if (best && group.minRank >= best.rank) break;
    if (!group.regex.test(path)) continue;
    const found = firstPassing(group.candidates, request, best ? best.rank : Number.POSITIVE_INFINITY);
    if (found) best = found;
  }
  return best;
}

/** The winning candidate of this host bucket for the request, or undefined. */
export function matchPathIndex<T>(index: PathIndex<T>, path: RequestPath, request: MatchRequest): Candidate<T> | undefined {
  const exact = index.exact.get(path.path);
  return (
    (exact && firstPassing(exact, request)) ??
    (index.templates && searchTemplates(index.templates, path.segments, 0, request)) ??
    (index.prefixes && searchPrefixes(index.prefixes, path.segments, request)) ??
    (index.regexGroups.length > 0 ? searchRegexes(index.regexGroups, path.path, request) : undefined)
  );
}
