// The route matcher's contract. The compiler turns Route documents into MatchEntry lists
// (one per rule × match block); data planes build a RouteMatcher once per snapshot and ask
// it, per request, which entry wins. Every implementation answers exactly alike.

export type PathMatch =
  | { kind: 'exact'; value: string }
  | { kind: 'prefix'; value: string }
  | { kind: 'template'; value: string }
  | { kind: 'regex'; value: string };

/** A header or query-parameter condition. Header names are lower-case. */
export type ValueMatch =
  | { name: string; kind: 'exact'; value: string }
  | { name: string; kind: 'prefix'; value: string }
  | { name: string; kind: 'regex'; value: string }
  | { name: string; kind: 'present' };

export interface MatchEntry<T> {
  /** Lower-case hosts: exact `api.example.com`, wildcard `*.example.com` (one or more labels), or `*` (any host). Empty means any host, like `*`. */
  hosts: string[];
  path: PathMatch;
  /** Upper-case methods; empty means any method. */
  methods: string[];
  headers: ValueMatch[];
  query: ValueMatch[];
  /** Declaration order (lower wins a tie); the compiler assigns it independent of file order. */
  order: number;
  target: T;
}

/** What the matcher reads of a request. `Headers` and `URLSearchParams` both fit `get`. */
export interface MatchRequest {
  /** Lower-case host without port. */
  host: string;
  /** A path already normalized by normalizePath (core/route/normalize-path.ts). */
  path: string;
  /** Upper-case method. */
  method: string;
  headers: { get(name: string): string | null };
  query: { get(name: string): string | null };
}

export interface MatchResult<T> {
  target: T;
  /** Captured `{name}` segments of a template path; empty for other kinds. */
  params: Record<string, string>;
}

export interface RouteMatcher<T> {
  match(request: MatchRequest): MatchResult<T> | undefined;
}
