import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_STATUS, statusOf } from './error-codes.ts';

describe('the error-code table', () => {
  it('gives every code a 4xx or 5xx status', () => {
    for (const [code, status] of Object.entries(ERROR_STATUS)) expect([code, status >= 400 && status < 600]).toEqual([code, true]);
    expect(statusOf('access_denied')).toBe(403);
    expect(statusOf('upstream_timeout')).toBe(504);
  });

  it('is documented exactly as it is (docs/pipeline.md)', () => {
    const doc = readFileSync(new URL('../../docs/pipeline.md', import.meta.url), 'utf8');
    const rows = Object.fromEntries([...doc.matchAll(/^\| `([a-z_]+)` \| (\d{3}) \|$/gm)].map((m) => [m[1], Number(m[2])]));
    expect(rows).toEqual(ERROR_STATUS);
  });
});
