// Every ported Gateway API conformance group, in the order the planes run them, and the
// section of docs/routing.md that lists what does not run where, rendered from the same data.
import { CORS_GROUPS } from './cors.cases.ts';
import { HEADER_MODIFIER_GROUPS } from './header-modifiers.cases.ts';
import { HOSTNAME_GROUPS } from './hostnames.cases.ts';
import { MATCHING_GROUPS } from './matching.cases.ts';
import { GRPC_GROUPS } from './grpc.cases.ts';
import { MIRROR_GROUPS } from './mirrors.cases.ts';
import { NOT_EXPRESSIBLE_TESTS } from './not-expressible.ts';
import { REDIRECT_GROUPS } from './redirects.cases.ts';
import { REWRITE_GROUPS } from './rewrites.cases.ts';
import { TIMEOUT_RETRY_GROUPS } from './timeouts-retries.cases.ts';
import { caseName, PLANES } from './types.ts';
import type { ConformanceGroup, NotExpressible, PlaneName } from './types.ts';
import { WEIGHT_GROUPS } from './weights.cases.ts';

export const GATEWAY_API_GROUPS: readonly ConformanceGroup[] = [
  ...MATCHING_GROUPS,
  ...HOSTNAME_GROUPS,
  ...WEIGHT_GROUPS,
  ...HEADER_MODIFIER_GROUPS,
  ...REDIRECT_GROUPS,
  ...REWRITE_GROUPS,
  ...MIRROR_GROUPS,
  ...TIMEOUT_RETRY_GROUPS,
  ...CORS_GROUPS,
  ...GRPC_GROUPS,
];

/** The upstream test of a group: its ShortName, without the subtest a group may stand for. */
function upstreamTest(group: ConformanceGroup): string {
  return group.test.split('/')[0] as string;
}

function planesText(planes: readonly PlaneName[]): string {
  return planes.length === PLANES.length ? 'both' : planes.join(', ');
}

/** What Weft cannot express: whole upstream tests, then single cases (those with no plane to run on). */
export function notExpressible(): NotExpressible[] {
  const cases = GATEWAY_API_GROUPS.flatMap((g) =>
    g.cases.flatMap((c, i) => (c.only?.planes.length === 0 ? [{ test: g.test, case: caseName(c, i), reason: c.only.why }] : [])),
  );
  return [...NOT_EXPRESSIBLE_TESTS, ...cases];
}

/** One row per reason a case runs on one plane only: that plane, the reason, and the upstream tests with how many of their cases. */
function planeLimitedRows(): string[] {
  const expressible = (c: ConformanceGroup['cases'][number]) => c.only?.planes.length !== 0;
  const totals = new Map<string, number>();
  for (const g of GATEWAY_API_GROUPS) totals.set(upstreamTest(g), (totals.get(upstreamTest(g)) ?? 0) + g.cases.filter(expressible).length);
  const byReason = new Map<string, { planes: readonly PlaneName[]; tests: Map<string, number> }>();
  for (const g of GATEWAY_API_GROUPS)
    for (const c of g.cases.filter(expressible)) {
      const limit = g.only ?? c.only;
      if (!limit) continue;
      const row = byReason.get(limit.why) ?? { planes: limit.planes, tests: new Map<string, number>() };
      row.tests.set(upstreamTest(g), (row.tests.get(upstreamTest(g)) ?? 0) + 1);
      byReason.set(limit.why, row);
    }
  return [...byReason].map(([why, r]) => {
    const tests = [...r.tests].map(([test, n]) => (n === totals.get(test) ? test : `${test} (${n} of ${totals.get(test)})`));
    return `| ${planesText(r.planes)} | ${tests.join(', ')} | ${why} |`;
  });
}

/** The generated part of docs/routing.md#gateway-api-conformance (between its markers). */
export function conformanceMarkdown(): string {
  const lines = [
    'Cases Weft cannot express, by design:',
    '',
    '| upstream test | case | why |',
    '|---|---|---|',
    ...notExpressible().map((n) => `| ${n.test} | ${n.case ?? 'all'} | ${n.reason} |`),
    '',
    'Cases that run on one plane only:',
    '',
    '| runs on | upstream tests (cases, when not all) | why |',
    '|---|---|---|',
    ...planeLimitedRows(),
    '',
    'Translations that are not one field for one field:',
    '',
    ...GATEWAY_API_GROUPS.filter((g) => g.translation).map((g) => `- ${upstreamTest(g)}: ${g.translation}`),
    '',
  ];
  return lines.join('\n');
}
