// JSON Schema for every policy kind, generated from the zod schemas (the single source of
// truth), plus `weft.json` that accepts any kind, for editors (VS Code YAML: yaml.schemas).
import { z } from 'zod';
import { POLICY_KINDS } from './registry.ts';

const SCHEMA_BASE = 'https://weft.dev/schemas/v1';

export function policyJsonSchemas(): Record<string, object> {
  const out: Record<string, object> = {};
  for (const k of POLICY_KINDS) {
    out[`${k.slug}.json`] = { ...z.toJSONSchema(k.document, { io: 'input', unrepresentable: 'any' }), $id: `${SCHEMA_BASE}/${k.slug}.json`, title: k.kind };
  }
  out['weft.json'] = {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: `${SCHEMA_BASE}/weft.json`,
    title: 'Weft policy document',
    description: 'Any Weft policy document; `kind` selects the schema.',
    anyOf: POLICY_KINDS.map((k) => ({ $ref: `./${k.slug}.json` })),
  };
  return out;
}

export function schemaFileText(schema: object): string {
  return `${JSON.stringify(schema, null, 2)}\n`;
}
