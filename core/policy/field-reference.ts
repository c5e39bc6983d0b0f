// Markdown field reference for every policy kind, generated from the same JSON Schemas
// editors use, so docs/policy-reference.md lists every field and cannot drift from the code.
import { POLICY_KINDS } from './registry.ts';
import { policyJsonSchemas } from './json-schema.ts';

interface JsonSchema {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  additionalProperties?: JsonSchema | boolean;
  minimum?: number;
  maximum?: number;
  pattern?: string;
}

export interface FieldRow {
  path: string;
  type: string;
  required: boolean;
  defaultValue: string;
  description: string;
}

function typeOf(s: JsonSchema): string {
  if (s.const !== undefined) return `\`${JSON.stringify(s.const)}\``;
  if (s.enum) return s.enum.map((e) => `\`${String(e)}\``).join(' \\| ');
  const alts = s.anyOf ?? s.oneOf;
  if (alts) return alts.map(typeOf).join(' \\| ');
  if (s.type === 'array') return `list of ${s.items ? typeOf(s.items) : 'any'}`;
  if (s.type === 'object' && !s.properties && typeof s.additionalProperties === 'object') return `map of ${typeOf(s.additionalProperties)}`;
  if (s.type === 'object' && s.properties) return 'object';
  const t = Array.isArray(s.type) ? s.type.join(' \\| ') : (s.type ?? 'any');
  const range = s.minimum !== undefined && s.maximum !== undefined && s.maximum < 1e15 ? ` (${s.minimum}–${s.maximum})` : '';
  return `${t}${range}`;
}

function objectOf(s: JsonSchema): JsonSchema | undefined {
  if (s.properties) return s;
  if (s.type === 'array' && s.items) return objectOf(s.items);
  return undefined;
}

export function fieldRows(schema: JsonSchema, prefix = ''): FieldRow[] {
  const rows: FieldRow[] = [];
  const obj = objectOf(schema);
  if (!obj?.properties) return rows;
  for (const [name, field] of Object.entries(obj.properties)) {
    const path = `${prefix}${name}${field.type === 'array' && objectOf(field) ? '[]' : ''}`;
    rows.push({
      path,
      type: typeOf(field),
      required: obj.required?.includes(name) ?? false,
      defaultValue: field.default === undefined ? '' : `\`${JSON.stringify(field.default)}\``,
      description: field.description ?? '',
    });
    rows.push(...fieldRows(field, `${path}.`));
    const alts = field.anyOf ?? field.oneOf ?? field.items?.anyOf ?? field.items?.oneOf ?? [];
    for (const alt of alts) rows.push(...fieldRows(alt, `${path}${field.type === 'array' ? '[]' : ''}.`));
  }
  // A union of an object and a list of it (`mirror`) describes the same fields twice: once is enough.
  const seen = new Set<string>();
  return rows.filter((r) => {
    if (seen.has(r.path)) return false;
    seen.add(r.path);
    return true;
  });
}

export function policyReferenceMarkdown(): string {
  const schemas = policyJsonSchemas();
  const out = [
    '# Policy field reference',
    '',
    '<!-- Generated from the zod schemas by `npm run schemas`; do not edit by hand. -->',
    '',
    'Every field of every kind. Concepts, semantics and examples are in [policies.md](policies.md).',
    'Durations are strings such as `250ms`, `5s`, `1m`, `1h30m`. Names are lower-case DNS labels.',
    '',
  ];
  for (const k of POLICY_KINDS) {
    const schema = schemas[`${k.slug}.json`] as JsonSchema;
    out.push(`## ${k.kind}`, '', schema.description ?? '', '', '| field | type | required | default | description |', '|---|---|---|---|---|');
    for (const r of fieldRows(schema)) {
      if (['apiVersion', 'kind'].includes(r.path)) continue;
      out.push(`| \`${r.path}\` | ${r.type} | ${r.required ? 'yes' : ''} | ${r.defaultValue} | ${r.description.replace(/\|/g, '\\|')} |`);
    }
    out.push('');
  }
  return `${out.join('\n')}\n`;
}
