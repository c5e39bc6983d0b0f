// The docs that show core's own data must show it exactly: the enforcement table in
// docs/policies.md and the error-code table (HTTP and gRPC statuses) in docs/pipeline.md.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { enforcementMarkdown } from '../../core/policy/enforcement.ts';
import { ERROR_STATUS } from '../../core/errors/error-codes.ts';
import type { ErrorCode } from '../../core/errors/error-codes.ts';
import { grpcStatusName, grpcStatusOfRefusal } from '../../core/grpc/status.ts';

describe('docs/policies.md', () => {
  it('shows the same table as the data (paste enforcementMarkdown() between the markers)', () => {
    const text = readFileSync(new URL('../../docs/policies.md', import.meta.url), 'utf8');
    const section = /<!-- enforcement:begin[^>]*-->\n([\s\S]*?)<!-- enforcement:end -->/.exec(text);
    expect(section, 'docs/policies.md lacks the enforcement markers').not.toBeNull();
    expect(section?.[1]).toBe(enforcementMarkdown());
  });
});

describe('docs/pipeline.md', () => {
  it('shows the error-code table exactly as core has it: HTTP status and gRPC status', () => {
    const doc = readFileSync(new URL('../../docs/pipeline.md', import.meta.url), 'utf8');
    const rows = [...doc.matchAll(/^\| `([a-z_]+)` \| (\d{3}) \| (\d+) `([A-Z_]+)` \|$/gm)];
    expect(Object.fromEntries(rows.map((m) => [m[1], Number(m[2])]))).toEqual(ERROR_STATUS);
    const grpc = Object.fromEntries((Object.keys(ERROR_STATUS) as ErrorCode[]).map((code) => [code, `${grpcStatusOfRefusal(code)} ${grpcStatusName(grpcStatusOfRefusal(code)) ?? ''}`]));
    expect(Object.fromEntries(rows.map((m) => [m[1], `${m[3]} ${m[4]}`]))).toEqual(grpc);
  });
});
