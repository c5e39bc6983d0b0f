// import(export(policies/)) keeps what the routes mean: each compiled rule of the shipped
// policy, read for its meaning (which requests it takes, where they go and how), equals the
// rule that comes back through the Gateway API. Where the Gateway API cannot say something,
// export notes it, and the difference is exactly that.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { readPolicySources } from '../../cli/policy-files.ts';
import { exportGatewayApi } from '../../cli/gateway-api/export.ts';
import { templateRegex } from '../../cli/gateway-api/export-rule.ts';
import { importGatewayApi } from '../../cli/gateway-api/import.ts';
import { formatNote } from '../../cli/gateway-api/notes.ts';
import { documentsToYaml } from '../../cli/gateway-api/write-yaml.ts';
import { compileDocuments } from '../../core/compile/compile.ts';
import type { CompiledRoute, CompiledRule } from '../../core/policy/route/compile.ts';
import type { SnapshotBody } from '../../core/snapshot/types.ts';
import { canonicalJson } from '../../core/snapshot/canonical-json.ts';
import { compileTexts } from '../support/gateway-api.ts';

/** The requests a retry condition list retries: statuses 400-599 and failures without an answer. */
function retriedOutcomes(retryOn: readonly string[], statusCodes: readonly number[]) {
  const on = new Set(retryOn);
  const statuses = new Set<number>();
  for (let s = 400; s <= 599; s++)
    if ((on.has('5xx') && s >= 500) || (on.has('gateway-error') && s >= 502 && s <= 504) || (on.has('retriable-status-codes') && statusCodes.includes(s))) statuses.add(s);
  // As core/resilience/retry-policy.ts reads them: a per-try timeout counts as a reset.
  const errors = ['connect-failure', 'reset', 'timeout'].filter((e) =>
    e === 'connect-failure' ? on.has('connect-failure') || on.has('5xx') || on.has('gateway-error') : on.has('reset') || on.has('5xx') || on.has('gateway-error'),
  );
  return { statuses: [...statuses], errors };
}

/**
 * What a compiled rule means, with Weft-only spellings replaced by what they match: a
 * template is the regex it stands for, `methods: [A, B]` is one match per method, a subset is
 * the `<service>-<subset>` Service that export names, and weights are shares.
 */
function meaning(rule: CompiledRule) {
  const matches = rule.matches
    .flatMap((m) => (m.methods.length ? m.methods.map((method) => ({ ...m, methods: [method] })) : [m]))
    .map((m) => canonicalJson({ ...m, path: m.path.kind === 'template' ? { kind: 'regex', value: templateRegex(m.path.value) } : m.path }))
    .sort();
  const total = rule.backends.reduce((n, b) => n + b.weight, 0);
  const backends = rule.backends
    .map((b) => ({ ...b, service: b.subset ? `${b.service}-${b.subset}` : b.service, subset: null, weight: total > 0 ? b.weight / total : 0 }))
    .sort((a, b) => a.service.localeCompare(b.service));
  const { retries } = rule;
  return {
    matches,
    backends,
    redirect: rule.redirect,
    rewrite: rule.rewrite,
    requestHeaders: rule.requestHeaders,
    responseHeaders: rule.responseHeaders,
    mirrors: rule.mirrors,
    timeoutMs: rule.timeoutMs,
    retries: {
      attempts: retries.attempts,
      perTryTimeoutMs: retries.perTryTimeoutMs,
      backoff: retries.backoff,
      budget: retries.budget,
      nonIdempotent: retries.nonIdempotent,
      retried: retriedOutcomes(retries.retryOn, retries.statusCodes),
    },
    cors: rule.cors,
    maxRequestBytes: rule.maxRequestBytes,
    websocket: rule.websocket,
  };
}

function routeMeaning(route: CompiledRoute) {
  return { edgeHosts: route.edgeHosts, meshServices: route.meshServices, rules: Object.fromEntries(route.rules.map((r) => [r.name, meaning(r)])) };
}

async function roundTrip(): Promise<{ original: SnapshotBody; again: SnapshotBody; exportNotes: string[]; importNotes: string[] }> {
  const sources = await readPolicySources(['policies']);
  const compiled = compileDocuments(sources.documents);
  if (!compiled.ok) throw new Error('shipped policies must compile');
  const exported = exportGatewayApi(sources.documents, compiled.body, { gateway: { name: 'weft' } });
  const imported = importGatewayApi([{ file: 'exported.yaml', text: documentsToYaml(exported.documents) }]);
  // The Mesh is not exported (the Gateway API has no mesh-wide defaults): both sides keep it.
  const again = compileTexts({ 'imported.yaml': documentsToYaml(imported.documents), 'policies/mesh.yaml': await readFile('policies/mesh.yaml', 'utf8') });
  if (!again.ok) throw new Error(`re-imported policy does not compile:\n${JSON.stringify(again.errors, null, 2)}`);
  return { original: compiled.body, again: again.body, exportNotes: exported.notes.map(formatNote), importNotes: imported.notes.map(formatNote) };
}

describe('import(export(policies/)) keeps the routes’ meaning', async () => {
  const { original, again, exportNotes, importNotes } = await roundTrip();

  it('the same routes come back, on the same hosts and services, with the same rules', () => {
    expect(again.routes.map((r) => r.id)).toEqual(original.routes.map((r) => r.id));
    for (const route of original.routes) {
      const back = again.routes.find((r) => r.id === route.id) as CompiledRoute;
      expect(Object.keys(routeMeaning(back).rules)).toEqual(Object.keys(routeMeaning(route).rules));
    }
  });

  it.each(['default/api', 'default/details', 'default/ratings', 'default/reviews'])('%s means the same, rule by rule', (id) => {
    const before = original.routes.find((r) => r.id === id) as CompiledRoute;
    const after = again.routes.find((r) => r.id === id) as CompiledRoute;
    expect(routeMeaning(after)).toEqual(routeMeaning(before));
  });

  it('default/productpage means the same except what export noted: "no retries" on rule login', () => {
    const before = routeMeaning(original.routes.find((r) => r.id === 'default/productpage') as CompiledRoute);
    const after = routeMeaning(again.routes.find((r) => r.id === 'default/productpage') as CompiledRoute);
    expect(after.rules.pages).toEqual(before.rules.pages);
    expect({ ...after, rules: {} }).toEqual({ ...before, rules: {} });
    expect(before.rules.login?.retries.attempts).toBe(0);
    expect(after.rules.login?.retries.attempts).toBe(original.mesh.defaults.retries.attempts);
    expect({ ...after.rules.login, retries: null }).toEqual({ ...before.rules.login, retries: null });
    expect(exportNotes).toContainEqual(
      expect.stringMatching(
        /^policies\/bookinfo\/routes\.yaml:\d+: Route default\/productpage rules\[1\]\.retries\.attempts: no retries: the Gateway API cannot say so \(attempts is at least 1\); left out, so the implementation’s default applies$/,
      ),
    );
  });

  it('import notes only that the Gateway the edge routes attach to was not exported', () => {
    expect(importNotes).toHaveLength(2);
    for (const n of importNotes) expect(n).toMatch(/^exported\.yaml:\d+: HTTPRoute default\/(api|productpage) parentRefs\[0\]: Gateway default\/weft is not among the inputs: /);
  });
});
