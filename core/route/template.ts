// Path templates (`/users/{id}/orders/{order}`): parsing and validation, shared by both
// matchers and by the policy compiler (which reports checkTemplate's message).
//
// A template is a `/`-separated list of segments; each is a literal or a whole-segment
// `{name}` parameter. A parameter matches exactly one non-empty segment, so a template
// matches only paths with the same number of segments (`/users/{id}` does not match
// `/users/42/`, whose last segment is empty; `/users/{id}/` does).

export type TemplateSegment = { kind: 'literal'; value: string } | { kind: 'param'; name: string };

const PARAM = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

/** Parses a template, or returns why it is invalid. */
export function parseTemplate(value: string): TemplateSegment[] | { error: string } {
  if (!value.startsWith('/')) return { error: `template "${value}" must start with "/"` };
  const raw = value.slice(1).split('/');
  const segments: TemplateSegment[] = [];
  const names = new Set<string>();
  for (let i = 0; i < raw.length; i++) {
    const segment = raw[i] ?? '';
    const param = PARAM.exec(segment);
    if (param) {
      const name = param[1] ?? '';
      if (names.has(name)) return { error: `template "${value}" uses parameter {${name}} twice` };
      names.add(name);
      segments.push({ kind: 'param', name });
      continue;
    }
    if (segment.includes('{') || segment.includes('}')) {
      return {
        error:
          `template "${value}" has segment "${segment}": a parameter must be a whole segment ` +
          '`{name}` with a name matching [A-Za-z_][A-Za-z0-9_]*',
      };
    }
    if (segment === '' && i < raw.length - 1) {
      return { error: `template "${value}" has an empty segment ("//"), which no normalized path has` };
    }
    if (segment === '.' || segment === '..') {
      return { error: `template "${value}" has a dot segment "${segment}", which no normalized path has` };
    }
    segments.push({ kind: 'literal', value: segment });
  }
  return segments;
}

/** The error message for an invalid template, or undefined when it is valid. */
export function checkTemplate(value: string): string | undefined {
  const parsed = parseTemplate(value);
  return Array.isArray(parsed) ? undefined : parsed.error;
}
