// The docs that show data must show it exactly: the enforcement table in docs/policies.md, the
// error-code table (HTTP and gRPC statuses) in docs/pipeline.md, and in docs/routing.md what of
// the Gateway API conformance suite Weft cannot express or runs on one plane only.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { enforcementMarkdown } from '../../core/policy/enforcement.ts';
import { ERROR_STATUS } from '../../core/errors/error-codes.ts';
import type { ErrorCode } from '../../core/errors/error-codes.ts';
import { grpcStatusName, grpcStatusOfRefusal } from '../../core/grpc/status.ts';
import { conformanceMarkdown } from '../conformance/gateway-api/index.ts';

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

describe('docs/routing.md', () => {
  it('lists the Gateway API conformance cases not run, and why, as the case data has them (paste conformanceMarkdown() between the markers)', () => {
    const text = readFileSync(new URL('../../docs/routing.md', import.meta.url), 'utf8');
    const section = /<!-- gateway-api-conformance:begin[^>]*-->\n([\s\S]*?)<!-- gateway-api-conformance:end -->/.exec(text);
    expect(section, 'docs/routing.md lacks the gateway-api-conformance markers').not.toBeNull();
    expect(section?.[1]).toBe(conformanceMarkdown());
  });
});
