// Every ported Gateway API conformance group, in the order the planes run them, and the
// section of docs/routing.md that lists what does not run where, rendered from the same data.
import { CORS_GROUPS } from './cors.cases.ts';
import { HEADER_MODIFIER_GROUPS } from './header-modifiers.cases.ts';
import { HOSTNAME_GROUPS } from './hostnames.cases.ts';
import { MATCHING_GROUPS } from './matching.cases.ts';
import { MIRROR_GROUPS } from './mirrors.cases.ts';
import { NOT_EXPRESSIBLE } from './not-expressible.ts';
import { REDIRECT_GROUPS } from './redirects.cases.ts';
import { REWRITE_GROUPS } from './rewrites.cases.ts';
import { TIMEOUT_RETRY_GROUPS } from './timeouts-retries.cases.ts';
import { PLANES } from './types.ts';
import type { ConformanceGroup, PlaneName } from './types.ts';
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
];

export { NOT_EXPRESSIBLE };

/** The upstream test of a group: its ShortName, without the subtest a group may stand for. */
function upstreamTest(group: ConformanceGroup): string {
  return group.test.split('/')[0] as string;
}

function planesText(planes: readonly PlaneName[]): string {
  return planes.length === PLANES.length ? 'both' : planes.join(', ');
}

/** Rows of cases that run on some planes only: (test, reason) → how many of how many cases. */
function planeLimitedRows(): string[] {
  const rows = new Map<string, { test: string; planes: PlaneName[]; why: string; limited: number; total: number }>();
  const totals = new Map<string, number>();
  for (const g of GATEWAY_API_GROUPS) totals.set(upstreamTest(g), (totals.get(upstreamTest(g)) ?? 0) + g.cases.length);
  for (const g of GATEWAY_API_GROUPS)
    for (const c of g.cases) {
      const limit = g.only ?? c.only;
      if (!limit) continue;
      const key = `${upstreamTest(g)}\0${limit.why}`;
      const row = rows.get(key) ?? { test: upstreamTest(g), planes: limit.planes, why: limit.why, limited: 0, total: totals.get(upstreamTest(g)) ?? 0 };
      row.limited++;
      rows.set(key, row);
    }
  return [...rows.values()].map((r) => `| ${r.test} | ${r.limited === r.total ? 'all' : `${r.limited} of ${r.total}`} | ${planesText(r.planes)} | ${r.why} |`);
}

/** The generated part of docs/routing.md#gateway-api-conformance (between its markers). */
export function conformanceMarkdown(): string {
  const lines = [
    'Cases Weft cannot express, by design:',
    '',
    '| upstream test | case | plane | why |',
    '|---|---|---|---|',
    ...NOT_EXPRESSIBLE.map((n) => `| ${n.test} | ${n.case ?? 'all'} | ${n.plane ?? 'both'} | ${n.reason} |`),
    '',
    'Cases that run on one plane only:',
    '',
    '| upstream test | cases | runs on | why |',
    '|---|---|---|---|',
    ...planeLimitedRows(),
    '',
    'Translations that are not one field for one field:',
    '',
    ...GATEWAY_API_GROUPS.filter((g) => g.translation).map((g) => `- ${upstreamTest(g)}: ${g.translation}`),
    '',
  ];
  return lines.join('\n');
}
