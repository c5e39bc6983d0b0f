// The committed JSON Schemas (schemas/) must be what the zod schemas generate today.
import { readdir, readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { fieldRows, policyReferenceMarkdown } from '../core/policy/field-reference.ts';
import { policyJsonSchemas, schemaFileText } from '../core/policy/json-schema.ts';
import { POLICY_KINDS } from '../core/policy/registry.ts';

describe('schemas/', () => {
  it('is current: regenerate with `npm run schemas` after changing a policy schema', async () => {
    const generated = policyJsonSchemas();
    expect((await readdir('schemas')).sort()).toEqual(Object.keys(generated).sort());
    for (const [name, schema] of Object.entries(generated)) expect(await readFile(`schemas/${name}`, 'utf8'), name).toBe(schemaFileText(schema));
  });

  it('docs/policy-reference.md is current', async () => {
    expect(await readFile('docs/policy-reference.md', 'utf8')).toBe(policyReferenceMarkdown());
  });

  it('every field of every kind has a description (so the reference documents it)', () => {
    const schemas = policyJsonSchemas();
    const undocumented = POLICY_KINDS.flatMap((k) =>
      fieldRows(schemas[`${k.slug}.json`] as never)
        .filter((r) => !r.description)
        .map((r) => `${k.kind} ${r.path}`),
    );
    expect(undocumented).toEqual([]);
  });

  it('describes every kind, with field descriptions editors can show', () => {
    const route = policyJsonSchemas()['route.json'] as { properties: { kind: { const: string }; spec: { properties: Record<string, { description?: string }> } } };
    expect(route.properties.kind.const).toBe('Route');
    expect(route.properties.spec.properties.edge?.description).toBe('Apply at the edge gateway.');
  });
});
