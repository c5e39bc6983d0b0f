// The reference matcher: obviously correct, slow on purpose. It evaluates every entry,
// keeps those that match, sorts them by precedence (precedence.ts) and returns the first.
// The indexed matcher is property-tested against it; use it nowhere on a request path.

import { captureParams, compileEntries, passesConditions } from './compiled-entry.ts';
import type { CompiledEntry } from './compiled-entry.ts';
import { ANY_HOST_RANK, comparePathSpecificity, compareTieBreak, hostRank } from './precedence.ts';
import type { MatchEntry, MatchRequest, MatchResult, RouteMatcher } from './types.ts';

function bestHostRank(hosts: readonly string[], requestHost: string): number | undefined {
  if (hosts.length === 0) return ANY_HOST_RANK;
  let best: number | undefined;
  for (const host of hosts) {
    const rank = hostRank(host, requestHost);
    if (rank !== undefined && (best === undefined || rank > best)) best = rank;
  }
  return best;
}

/** The captured params when the entry's path matches, else undefined. */
function matchPath(compiled: CompiledEntry<unknown>, path: string): Record<string, string> | undefined {
  const { path: match } = compiled.entry;
  switch (match.kind) {
    case 'exact':
      return path === match.value ? {} : undefined;
    case 'prefix': {
      const prefix = match.value.replace(/\/+$/, '');
      return prefix === '' || path === prefix || path.startsWith(prefix + '/') ? {} : undefined;
    }
    case 'template': {
      const template = compiled.template ?? [];
      const segments = path.slice(1).split('/');
      if (segments.length !== template.length) return undefined;
      for (let i = 0; i < template.length; i++) {
        const part = template[i];
        const segment = segments[i] ?? '';
        if (part?.kind === 'literal' ? part.value !== segment : segment === '') return undefined;
      }
      return captureParams(compiled.paramPositions, compiled.paramNames, segments);
    }
    case 'regex':
      return compiled.pathRegex?.test(path) ? {} : undefined;
  }
}

export function createLinearMatcher<T>(entries: MatchEntry<T>[]): RouteMatcher<T> {
  const compiled = compileEntries(entries);
  return {
    match(request: MatchRequest): MatchResult<T> | undefined {
      const matches: { compiled: CompiledEntry<T>; host: number; params: Record<string, string> }[] = [];
      for (const candidate of compiled) {
        const host = bestHostRank(candidate.entry.hosts, request.host);
        if (host === undefined) continue;
        const params = matchPath(candidate, request.path);
        if (params === undefined) continue;
        if (!passesConditions(candidate, request)) continue;
        matches.push({ compiled: candidate, host, params });
      }
      matches.sort(
        (a, b) =>
          (a.host === b.host ? 0 : a.host > b.host ? -1 : 1) ||
          comparePathSpecificity(a.compiled, b.compiled) ||
          compareTieBreak(a.compiled, b.compiled),
      );
      const winner = matches[0];
      return winner && { target: winner.compiled.entry.target, params: winner.params };
    },
  };
}
