// Compile time for large policy sets: YAML parse, compile (schema, references, conflicts),
// version hash and matcher build, for 1k and 10k routes. Target: 10k routes compile < 1 s.
import { compileDocuments } from '../core/compile/compile.ts';
import { edgeRouteEntries } from '../core/compile/route-table.ts';
import { loadPolicyYaml } from '../core/policy/load-yaml.ts';
import { createRouteMatcher } from '../core/route/index.ts';
import { snapshotVersion } from '../core/snapshot/build.ts';

function policyText(routes: number): string {
  const services = 100;
  const docs: string[] = [];
  for (let s = 0; s < services; s++)
    docs.push(`apiVersion: weft/v1\nkind: Service\nmetadata: { name: svc-${s} }\nspec:\n  port: 8080\n  subsets: [{ name: v1, labels: { version: v1 } }, { name: v2, labels: { version: v2 } }]\n`);
  for (let r = 0; r < routes; r++) {
    const s = r % services;
    const path = r % 3 === 0 ? `{ prefix: /api/r${r} }` : r % 3 === 1 ? `{ template: "/api/r${r}/{id}/items/{item}" }` : `{ exact: /api/r${r}/status }`;
    docs.push(
      `apiVersion: weft/v1\nkind: Route\nmetadata: { name: route-${r} }\nspec:\n  edge: { hosts: [host-${r % 50}.example.com] }\n  rules:\n    - matches: [{ path: ${path}, methods: [GET], headers: [{ name: x-tenant, exact: t${r % 7} }] }]\n      backends: [{ service: svc-${s}, subset: v1, weight: 90 }, { service: svc-${s}, subset: v2, weight: 10 }]\n      timeout: 5s\n`,
    );
  }
  return docs.join('---\n');
}

function time<T>(fn: () => T): [T, number] {
  const t0 = performance.now();
  const out = fn();
  return [out, performance.now() - t0];
}

console.log('## compile');
console.log('routes   parse ms  compile ms  version ms  matcher ms  total ms');
for (const n of [1_000, 10_000]) {
  const text = policyText(n);
  const [loaded, parseMs] = time(() => loadPolicyYaml('bench.yaml', text));
  const [compiled, compileMs] = time(() => compileDocuments(loaded.documents));
  if (!compiled.ok) throw new Error(`bench policy invalid: ${compiled.errors[0]?.message}`);
  const t0 = performance.now();
  await snapshotVersion(compiled.body);
  const versionMs = performance.now() - t0;
  const [, matcherMs] = time(() => createRouteMatcher(edgeRouteEntries(compiled.body)));
  const total = parseMs + compileMs + versionMs + matcherMs;
  console.log(
    `${String(n).padEnd(8)} ${parseMs.toFixed(0).padStart(8)}  ${compileMs.toFixed(0).padStart(10)}  ${versionMs.toFixed(0).padStart(10)}  ${matcherMs.toFixed(0).padStart(10)}  ${total.toFixed(0).padStart(8)}`,
  );
  if (n === 10_000) console.log(`10k routes: compile (without YAML parse) ${(compileMs + versionMs + matcherMs).toFixed(0)} ms, with parse ${total.toFixed(0)} ms (target < 1000 ms)`);
}
