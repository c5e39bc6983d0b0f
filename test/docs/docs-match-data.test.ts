// The docs that show core's own data must show it exactly: the enforcement table in
// docs/policies.md and the error-code table in docs/pipeline.md.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { enforcementMarkdown } from '../../core/policy/enforcement.ts';
import { ERROR_STATUS } from '../../core/errors/error-codes.ts';

describe('docs/policies.md', () => {
  it('shows the same table as the data (paste enforcementMarkdown() between the markers)', () => {
    const text = readFileSync(new URL('../../docs/policies.md', import.meta.url), 'utf8');
    const section = /<!-- enforcement:begin[^>]*-->\n([\s\S]*?)<!-- enforcement:end -->/.exec(text);
    expect(section, 'docs/policies.md lacks the enforcement markers').not.toBeNull();
    expect(section?.[1]).toBe(enforcementMarkdown());
  });
});

describe('docs/pipeline.md', () => {
  it('shows the error-code table exactly as core has it', () => {
    const doc = readFileSync(new URL('../../docs/pipeline.md', import.meta.url), 'utf8');
    const rows = Object.fromEntries([...doc.matchAll(/^\| `([a-z_]+)` \| (\d{3}) \|$/gm)].map((m) => [m[1], Number(m[2])]));
    expect(rows).toEqual(ERROR_STATUS);
  });
});
