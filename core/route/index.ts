// Routing in core: path normalization, the route matcher contract and its two
// implementations, and the validation helpers the policy compiler reports with.

export type { MatchEntry, MatchRequest, MatchResult, PathMatch, RouteMatcher, ValueMatch } from './types.ts';
export { DEFAULT_PATH_NORMALIZATION, normalizePath, splitPathAndQuery } from './normalize-path.ts';
export type { NormalizedPath, PathNormalizationOptions } from './normalize-path.ts';
export { checkPattern, compilePattern } from './pattern.ts';
export { checkTemplate } from './template.ts';
export { checkPathMatch } from './compiled-entry.ts';
export { createRouteMatcher } from './indexed-matcher.ts';
export { createLinearMatcher } from './linear-matcher.ts';
