// Regex semantics for every Weft policy field that takes a regex (regex paths, header and
// query regexes, access-policy path regexes): a full, anchored match with Unicode mode.
// Defined once here so the matcher and the policy compiler can never disagree.

/**
 * Compiles a policy regex to a full-match RegExp: `^(?:source)$` with the `u` flag.
 * Throws a SyntaxError for an invalid source (use checkPattern to get the message instead).
 *
 * The source is first compiled on its own: a fragment like `a)|(b` is not a valid regex
 * by itself, but `^(?:a)|(b)$` would be, and would match far more than a full match of
 * anything the author wrote.
 */
export function compilePattern(source: string): RegExp {
  new RegExp(source, 'u');
  return new RegExp('^(?:' + source + ')$', 'u');
}

/** The error message for an invalid policy regex, or undefined when it compiles. */
export function checkPattern(source: string): string | undefined {
  try {
    compilePattern(source);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
