import { readFile, writeFile } from 'node:fs/promises';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readPolicySources } from '../../cli/policy-files.ts';
import { compileDocuments } from '../../core/compile/compile.ts';
import { edgeRouteEntries, meshRouteEntries } from '../../core/compile/route-table.ts';
import { createRouteMatcher } from '../../core/route/indexed-matcher.ts';
import { createLinearMatcher } from '../../core/route/linear-matcher.ts';
import { snapshotVersion } from '../../core/snapshot/build.ts';
import { canonicalJson } from '../../core/snapshot/canonical-json.ts';
import { compileYaml, doc, errorLines } from '../support/compile-yaml.ts';

const GOLDEN = new URL('../../core/compile/testdata/policies.golden.json', import.meta.url);

async function shippedPolicies() {
  const sources = await readPolicySources(['policies']);
  expect(sources.errors).toEqual([]);
  return sources.documents;
}

describe('compileDocuments', () => {
  it('compiles the shipped policies to the reviewed golden snapshot body (UPDATE_GOLDEN=1 regenerates)', async () => {
    const result = compileDocuments(await shippedPolicies());
    if (!result.ok) throw new Error(JSON.stringify(result.errors, null, 2));
    const text = `${JSON.stringify(JSON.parse(canonicalJson(result.body)), null, 2)}\n`;
    if (process.env.UPDATE_GOLDEN) await writeFile(GOLDEN, text);
    expect(text).toBe(await readFile(GOLDEN, 'utf8'));
  });

  it('compiles the shipped policies without warnings (no retries that multiply across hops)', async () => {
    const result = compileDocuments(await shippedPolicies());
    expect(result.warnings).toEqual([]);
  });

  it('gives the same version whatever the order of files and documents', async () => {
    const docs = await shippedPolicies();
    const first = compileDocuments(docs);
    if (!first.ok) throw new Error('shipped policies must compile');
    const version = await snapshotVersion(first.body);
    await fc.assert(
      fc.asyncProperty(fc.shuffledSubarray(docs, { minLength: docs.length, maxLength: docs.length }), async (shuffled) => {
        const again = compileDocuments(shuffled);
        expect(again.ok).toBe(true);
        if (again.ok) expect(await snapshotVersion(again.body)).toBe(version);
      }),
      { numRuns: 25 },
    );
  });

  it('collects every error from every file, sorted by file and position', () => {
    const lines = errorLines({
      'b.yaml': doc('Route', 'r', 'mesh: { services: [ghost] }\nrules:\n  - backends: [{ service: ghost }]'),
      'a.yaml': `${doc('Service', 's', 'port: -1')}---\n${doc('Service', 't', 'protocol: gopher')}`,
    });
    expect(lines).toEqual([
      expect.stringMatching(/^a\.yaml:6:9: spec\.port: Too small/),
      expect.stringMatching(/^a\.yaml:13:13: spec\.protocol: Invalid option/),
      'b.yaml:6:22: spec.mesh.services[0]: Service "default/ghost" does not exist',
      'b.yaml:8:29: spec.rules[0].backends[0].service: Service "default/ghost" does not exist',
    ]);
  });

  it('reports the same name defined twice (per kind and namespace) with both places', () => {
    expect(errorLines({ 'a.yaml': doc('Service', 's', 'port: 80'), 'b.yaml': doc('Service', 's', 'port: 81') })).toEqual([
      'b.yaml:4:9: metadata.name: duplicate Service "default/s" (first defined at a.yaml:1:1)',
    ]);
    // Same name in another namespace or of another kind is fine.
    const other = doc('Service', 's', 'port: 81').replace('  name: s', '  name: s\n  namespace: shop');
    expect(errorLines({ 'a.yaml': doc('Service', 's', 'port: 80'), 'b.yaml': other })).toEqual([]);
  });

  it('numbers route table entries by route id, rule and match — not by file order', async () => {
    const result = compileDocuments(await shippedPolicies());
    if (!result.ok) throw new Error('shipped policies must compile');
    const edge = edgeRouteEntries(result.body);
    expect(edge.map((e) => `${e.target.route}#${e.target.rule}.${e.target.match}`)).toEqual([
      'default/api#0.0',
      'default/api#1.0',
      'default/api#2.0',
      'default/api#3.0',
      'default/productpage#0.0',
      'default/productpage#0.1',
      'default/productpage#0.2',
      'default/productpage#1.0',
      'default/productpage#1.1',
    ]);
    expect(edge.every((e, i) => i === 0 || e.order > (edge[i - 1]?.order ?? -1))).toBe(true);
    expect(new Set(meshRouteEntries(result.body).flatMap((e) => e.hosts))).toEqual(
      new Set(['productpage.default', 'reviews.default', 'ratings.default', 'details.default']),
    );
  });

  it('routes identical matches to the first by route namespace/name, rule, match block, whatever the file order', () => {
    const service = doc('Service', 'cart', 'port: 80');
    // The mesh side only in namespace default: mesh routes govern services of their own namespace.
    const route = (name: string, namespace?: string) =>
      doc(
        'Route',
        name,
        `edge: { hosts: [shop.example.com] }\n${namespace ? '' : 'mesh: { services: [cart] }\n'}rules:\n  - name: late\n    matches: [{ path: { exact: /other-${namespace ?? name} } }, { path: { prefix: /cart }, methods: [GET] }]\n    backends: [{ service: cart, namespace: default }]\n  - name: early\n    matches: [{ path: { prefix: /cart/ }, methods: [get] }]\n    backends: [{ service: cart, namespace: default }]`,
      ).replace(`  name: ${name}`, namespace ? `  name: ${name}\n  namespace: ${namespace}` : `  name: ${name}`);
    // `shop/a` sorts after `default/b`, and `default/b` after `default/a`: file order is the reverse.
    const files = { '1.yaml': route('a', 'shop'), '2.yaml': route('b'), '3.yaml': route('a'), '4.yaml': service };
    const result = compileYaml(files);
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    expect(result.warnings.map((w) => `${w.file} ${w.path}`)).toEqual(['1.yaml spec.rules[0].matches[1]', '1.yaml spec.rules[1].matches[0]', '2.yaml spec.rules[0].matches[1]', '2.yaml spec.rules[1].matches[0]', '3.yaml spec.rules[1].matches[0]']);
    const request = (host: string) => ({ host, path: '/cart/1', method: 'GET', headers: new Headers(), query: new URLSearchParams() });
    for (const [entries, host] of [
      [edgeRouteEntries(result.body), 'shop.example.com'],
      [meshRouteEntries(result.body), 'cart.default'],
    ] as const) {
      expect(createRouteMatcher(entries).match(request(host))?.target).toEqual({ route: 'default/a', rule: 0, match: 1 });
      expect(createLinearMatcher(entries).match(request(host))?.target).toEqual({ route: 'default/a', rule: 0, match: 1 });
    }
  });
});
