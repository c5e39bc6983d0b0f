// Route matching cost against the number of routes. For three route mixes and N = 10,
// 1 000, 10 000 routes, builds the indexed matcher once and measures ns per match over a
// fixed request set (hits spread over the routes, plus misses); measures the linear
// reference matcher the same way as a baseline. The indexed matcher's cost should be flat
// in N: its 10k/10 ratio per mix is printed against a target of 1.5.
//
//   npx node bench/route-match.bench.ts
//
// Headers and query are plain-object views here, so the numbers are the matcher's own
// cost, not a Headers implementation's.

import { createLinearMatcher, createRouteMatcher } from '../core/route/index.ts';
import type { MatchEntry, MatchRequest, RouteMatcher } from '../core/route/index.ts';

const SIZES = [10, 1_000, 10_000];
const REQUESTS = 256;
const TARGET_RATIO = 1.5;
const ROUNDS = 5;
const MAX_OPS_PER_ROUND = 1_000_000;

interface Mix {
  name: string;
  routes(n: number): MatchEntry<number>[];
  requests(n: number): MatchRequest[];
}

function view(values: Record<string, string>): { get(name: string): string | null } {
  return { get: (name) => values[name] ?? null };
}

function req(path: string, headers: Record<string, string> = {}, host = 'api.example.com', method = 'GET'): MatchRequest {
  return { host, path, method, headers: view(headers), query: view({}) };
}

function entry(i: number, spec: Partial<MatchEntry<number>> & Pick<MatchEntry<number>, 'path'>): MatchEntry<number> {
  return { hosts: ['*'], methods: [], headers: [], query: [], order: i, target: i, ...spec };
}

/** Request k of the set picks a route spread over [0, n); every 8th request misses. */
function spread(n: number, k: number): number {
  return (k * 7919) % n;
}

const mixes: Mix[] = [
  {
    name: 'prefix-heavy',
    routes: (n) =>
      Array.from({ length: n }, (_, i) =>
        entry(i, {
          // Half the routes on an exact host, half on a wildcard; services with nested prefixes.
          hosts: i % 2 === 0 ? ['api.example.com'] : ['*.example.com'],
          path: { kind: 'prefix', value: i % 3 === 0 ? `/svc${i}` : `/svc${i - (i % 3)}/v${i % 3}` },
          methods: i % 5 === 0 ? ['GET', 'POST'] : [],
        }),
      ),
    requests: (n) =>
      Array.from({ length: REQUESTS }, (_, k) => {
        if (k % 8 === 7) return req(`/unknown/${k}/path`);
        const i = spread(n, k);
        const host = i % 2 === 0 ? 'api.example.com' : `edge${k % 4}.example.com`;
        return req(`/svc${i - (i % 3)}/v${i % 3}/items/${k}`, {}, host);
      }),
  },
  {
    name: 'template-heavy',
    routes: (n) =>
      Array.from({ length: n }, (_, i) =>
        entry(i, { path: { kind: 'template', value: `/api/v1/resource${i}/{id}/items/{item}` } }),
      ),
    requests: (n) =>
      Array.from({ length: REQUESTS }, (_, k) => {
        if (k % 8 === 7) return req(`/api/v1/resource${k}x/1/items/2`);
        return req(`/api/v1/resource${spread(n, k)}/${k}/items/item-${k}`);
      }),
  },
  {
    name: 'header-heavy',
    routes: (n) => {
      // 10 paths; each carries n/10 routes told apart by x-tenant, plus a fallback.
      const perPath = Math.max(1, Math.floor(n / 10));
      return Array.from({ length: n }, (_, i) => {
        const path = { kind: 'prefix', value: `/svc${i % 10}` } as const;
        const tenant = Math.floor(i / 10);
        return tenant === perPath - 1 && perPath > 1
          ? entry(i, { path, order: n + i })
          : entry(i, { path, headers: [{ name: 'x-tenant', kind: 'exact', value: `t${tenant}` }] });
      });
    },
    requests: (n) =>
      Array.from({ length: REQUESTS }, (_, k) => {
        const i = spread(n, k);
        if (k % 8 === 7) return req(`/other/${k}`, { 'x-tenant': 't1' });
        return req(`/svc${i % 10}/orders/${k}`, { 'x-tenant': `t${Math.floor(i / 10)}`, 'x-request-id': String(k) });
      }),
  },
];

let sink = 0;

/**
 * ns per match: warm up, then ROUNDS rounds of batches, each until its share of the time
 * budget or the op cap is spent; the best round counts, which damps noise from other
 * processes on a shared machine.
 */
function measure(matcher: RouteMatcher<number>, requests: MatchRequest[], budgetMs: number, batch: number): number {
  const run = (ops: number, start: number) => {
    for (let j = 0; j < ops; j++) {
      const request = requests[(start + j) % requests.length];
      if (request) sink += matcher.match(request)?.target ?? -1;
    }
  };
  const warmupEnd = performance.now() + budgetMs / 3;
  let cursor = 0;
  while (performance.now() < warmupEnd) {
    run(batch, cursor);
    cursor += batch;
  }
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < ROUNDS; round++) {
    let ops = 0;
    const start = process.hrtime.bigint();
    const deadline = performance.now() + budgetMs / ROUNDS;
    while (performance.now() < deadline && ops < MAX_OPS_PER_ROUND) {
      run(batch, cursor);
      cursor += batch;
      ops += batch;
    }
    best = Math.min(best, Number(process.hrtime.bigint() - start) / ops);
  }
  return best;
}

function buildMs(build: () => unknown): number {
  const start = performance.now();
  build();
  return performance.now() - start;
}

const rows: string[][] = [];
const summary: string[][] = [];
const scriptStart = performance.now();

for (const mix of mixes) {
  const indexedNs = new Map<number, number>();
  let build10k = { indexed: 0, linear: 0 };
  for (const n of SIZES) {
    const routes = mix.routes(n);
    const requests = mix.requests(n);
    const indexed = createRouteMatcher(routes);
    const linear = createLinearMatcher(routes);
    // Same answers, or the comparison means nothing.
    for (const request of requests) {
      if (indexed.match(request)?.target !== linear.match(request)?.target) {
        throw new Error(`${mix.name} N=${n}: matchers disagree on ${request.host}${request.path}`);
      }
    }
    if (n === 10_000) {
      build10k = { indexed: buildMs(() => createRouteMatcher(routes)), linear: buildMs(() => createLinearMatcher(routes)) };
    }
    const hits = requests.filter((request) => indexed.match(request) !== undefined).length;
    const ns = measure(indexed, requests, 300, REQUESTS);
    const linearNs = measure(linear, requests, n >= 10_000 ? 400 : 250, n >= 1_000 ? 4 : REQUESTS);
    indexedNs.set(n, ns);
    rows.push([mix.name, n.toLocaleString('en-US'), `${hits}/${requests.length}`, ns.toFixed(0), linearNs.toFixed(0), (linearNs / ns).toFixed(1) + '×']);
  }
  const ratio = (indexedNs.get(10_000) ?? 0) / (indexedNs.get(10) ?? 1);
  summary.push([
    mix.name,
    ratio.toFixed(2),
    ratio <= TARGET_RATIO ? 'ok' : `over ${TARGET_RATIO}`,
    build10k.indexed.toFixed(1),
    build10k.linear.toFixed(1),
  ]);
}

function table(header: string[], body: string[][]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((row) => (row[c] ?? '').length)));
  const line = (cells: string[]) => cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

console.log(`route matching, Node ${process.version}, ${REQUESTS} requests per set (1 in 8 a miss), best of ${ROUNDS} rounds\n`);
console.log(table(['mix', 'N', 'hits', 'ns/op indexed', 'ns/op linear', 'linear/indexed'], rows));
console.log();
console.log(table(['mix', 'indexed 10k/10', `target ≤ ${TARGET_RATIO}`, 'build 10k indexed ms', 'build 10k linear ms'], summary));
console.log(`\n(${((performance.now() - scriptStart) / 1000).toFixed(1)} s; checksum ${sink})`);
