// The route matcher data planes use: built once per snapshot, then per request a few Map
// lookups whose number does not grow with the number of routes (except regex paths, which
// cost one test per distinct regex in the host bucket reached; see path-index.ts).
//
// Hosts are indexed into buckets, each with its own PathIndex:
//   exact hosts    — a Map from host to bucket;
//   wildcard hosts — a Map from suffix (`*.example.com` → `example.com`) to bucket, probed
//                    with each label suffix of the request host, longest first
//                    (`a.b.example.com` → `b.example.com`, `example.com`, `com`);
//   `*` and no hosts — one bucket.
// Buckets are tried in that order and the first with a match wins (precedence rule 1 in
// precedence.ts); an entry with several hosts is placed in each of their buckets.

import type { Candidate } from './candidate-set.ts';
import { captureParams, compileEntries } from './compiled-entry.ts';
import type { CompiledEntry } from './compiled-entry.ts';
import { buildPathIndex, matchPathIndex, RequestPath } from './path-index.ts';
import type { PathIndex } from './path-index.ts';
import type { MatchEntry, MatchRequest, MatchResult, RouteMatcher } from './types.ts';

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function indexBuckets<T>(buckets: Map<string, CompiledEntry<T>[]>): Map<string, PathIndex<T>> {
  const indexed = new Map<string, PathIndex<T>>();
  for (const [key, entries] of buckets) indexed.set(key, buildPathIndex(entries));
  return indexed;
}

export function createRouteMatcher<T>(entries: MatchEntry<T>[]): RouteMatcher<T> {
  const exactEntries = new Map<string, CompiledEntry<T>[]>();
  const wildcardEntries = new Map<string, CompiledEntry<T>[]>();
  const anyEntries: CompiledEntry<T>[] = [];

  for (const compiled of compileEntries(entries)) {
    const hosts = new Set(compiled.entry.hosts);
    if (hosts.size === 0 || hosts.has('*')) anyEntries.push(compiled);
    for (const host of hosts) {
      if (host === '*') continue;
      if (host.startsWith('*.')) push(wildcardEntries, host.slice(2), compiled);
      else push(exactEntries, host, compiled);
    }
  }

  const exactHosts = indexBuckets(exactEntries);
  const wildcardHosts = indexBuckets(wildcardEntries);
  const anyHost = anyEntries.length > 0 ? buildPathIndex(anyEntries) : undefined;

  function result(found: Candidate<T>, path: RequestPath): MatchResult<T> {
    const params = found.paramPositions.length > 0 ? captureParams(found.paramPositions, found.paramNames, path.segments) : {};
    return { target: found.target, params };
  }

  return {
    match(request: MatchRequest): MatchResult<T> | undefined {
      const path = new RequestPath(request.path);
      const host = request.host;

      const exact = exactHosts.get(host);
      if (exact) {
        const found = matchPathIndex(exact, path, request);
        if (found) return result(found, path);
      }

      if (wildcardHosts.size > 0) {
        // A wildcard needs one or more characters before its suffix, so a dot at index 0
        // does not start a suffix.
        for (let dot = host.indexOf('.', 1); dot !== -1; dot = host.indexOf('.', dot + 1)) {
          const bucket = wildcardHosts.get(host.slice(dot + 1));
          if (!bucket) continue;
          const found = matchPathIndex(bucket, path, request);
          if (found) return result(found, path);
        }
      }

      if (anyHost) {
        const found = matchPathIndex(anyHost, path, request);
        if (found) return result(found, path);
      }
      return undefined;
    },
  };
}
