// `weft import gateway-api` and `weft export gateway-api` as commands: output to stdout or
// files, notes and a summary on stderr, and the exit codes (in-process through the command
// functions; one run of the real binary, whose result `weft validate` accepts).
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { useTempDir, weft } from '../fixtures/cli/weft.ts';
import { weftInProcess } from '../support/gateway-api.ts';

const FIXTURES = 'test/fixtures/gateway-api';
const BOOKINFO = `${FIXTURES}/istio/bookinfo-gateway.yaml`;

let dir: string;
useTempDir('weft-gateway-api-', (d) => {
  dir = d;
});

async function write(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, text);
  return path;
}

describe('weft import gateway-api', () => {
  it('prints the Weft documents on stdout; notes and a summary on stderr; exit 0', async () => {
    const r = await weftInProcess(['import', 'gateway-api', `${FIXTURES}/envoy-gateway/http-urlrewrite.yaml`]);
    expect(r.status).toBe(0);
    expect(r.stdout.startsWith(`# Written by \`weft import gateway-api\` from ${FIXTURES}/envoy-gateway/http-urlrewrite.yaml.\n`)).toBe(true);
    const kinds = parseAllDocuments(r.stdout).map((d) => (d.toJS() as { kind: string }).kind);
    expect(kinds).toEqual(['Service', 'Route', 'Route']);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines.at(-1)).toBe('imported 2 Routes and 1 Service; 3 notes');
    expect(lines.slice(0, -1)).toHaveLength(3);
    expect(lines[2]).toBe(
      `${FIXTURES}/envoy-gateway/http-urlrewrite.yaml:50: HTTPRoute default/http-filter-url-regex-rewrite rules[0].filters[0] ExtensionRef: not expressible in Weft (an implementation's own filter, gateway.envoyproxy.io/HTTPRouteFilter regex-path-rewrite); dropped`,
    );
  });

  it('--out writes services.yaml and routes.yaml, and refuses to replace them without --force', async () => {
    const out = join(dir, 'out');
    const first = await weftInProcess(['import', 'gateway-api', `${FIXTURES}/istio/route-all-v1.yaml`, '--out', out]);
    expect(first).toMatchObject({ status: 0, stdout: '' });
    expect(first.stderr).toBe(`imported 4 Routes and 8 Services to ${join(out, 'services.yaml')} and ${join(out, 'routes.yaml')}; 0 notes\n`);
    const routes = await readFile(join(out, 'routes.yaml'), 'utf8');
    expect(routes).toContain('kind: Route');
    expect(await readFile(join(out, 'services.yaml'), 'utf8')).toContain('name: reviews-v1');

    const again = await weftInProcess(['import', 'gateway-api', `${FIXTURES}/istio/route-reviews-90-10.yaml`, '--out', out]);
    expect(again.status).toBe(1);
    expect(again.stderr).toBe(`weft: ${join(out, 'services.yaml')} already exists; pass --force to replace it\n`);
    expect(await readFile(join(out, 'routes.yaml'), 'utf8')).toBe(routes);

    const forced = await weftInProcess(['import', 'gateway-api', `${FIXTURES}/istio/route-reviews-90-10.yaml`, '--out', out, '--force']);
    expect(forced.status).toBe(0);
    expect(await readFile(join(out, 'routes.yaml'), 'utf8')).toContain('weight: 90');
  });

  it('exit 1 and nothing printed when an input is unreadable, or holds no route', async () => {
    const broken = await write('broken.yaml', 'kind: HTTPRoute\nmetadata:\n\tname: x\n');
    const deployment = await write('deploy.yaml', 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n');
    const [bad, none, missing] = await Promise.all([
      weftInProcess(['import', 'gateway-api', broken]),
      weftInProcess(['import', 'gateway-api', deployment]),
      weftInProcess(['import', 'gateway-api', join(dir, 'nope.yaml')]),
    ]);
    expect(bad).toMatchObject({ status: 1, stdout: '' });
    expect(bad.stderr).toMatch(/broken\.yaml:3:1: invalid YAML: Tabs are not allowed as indentation\nweft: 1 error reading .*broken\.yaml; nothing imported\n$/);
    expect(none).toEqual({ status: 1, stdout: '', stderr: `weft: no HTTPRoute or GRPCRoute in ${deployment}\n` });
    expect(missing).toMatchObject({ status: 1, stdout: '' });
    expect(missing.stderr).toContain('nope.yaml:1:1: no such file or folder');
  });

  it('exit 1 with the errors when the imported policy does not validate (here: a prefix rewrite on an exact match)', async () => {
    const file = await write(
      'rewrite.yaml',
      `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: shop
spec:
  parentRefs:
  - name: web
  rules:
  - matches:
    - path:
        type: Exact
        value: /shop
    filters:
    - type: URLRewrite
      urlRewrite:
        path:
          type: ReplacePrefixMatch
          replacePrefixMatch: /store
    backendRefs:
    - name: shop
      port: 80
`,
    );
    const r = await weftInProcess(['import', 'gateway-api', file]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('pathPrefix: /store');
    expect(r.stderr).toMatch(/<stdout>:\d+:\d+: spec\.rules\[0\]\.rewrite\.pathPrefix: pathPrefix replaces the matched prefix, so every match of this rule needs a prefix path\n/);
    expect(r.stderr.trimEnd().split('\n').at(-1)).toBe('the imported policy does not validate (1 error): fix it before weft validate or push');
  });

  it('the real binary: imports Istio’s Bookinfo gateway into files that `weft validate` accepts', async () => {
    const out = join(dir, 'bookinfo');
    const imported = await weft(['import', 'gateway-api', BOOKINFO, '--out', out]);
    expect(imported).toMatchObject({ status: 0, stdout: '' });
    expect(imported.stderr).toBe(`imported 1 Route and 1 Service to ${join(out, 'services.yaml')} and ${join(out, 'routes.yaml')}; 0 notes\n`);
    const validated = await weft(['validate', out]);
    expect(validated).toMatchObject({ status: 0, stderr: '' });
    expect(validated.stdout).toMatch(/^valid: 2 documents in 2 files, version [0-9a-f]{12}\n$/);
  });
});

describe('weft export gateway-api', () => {
  it('exports policies/ (the default path) to stdout, the notes and a summary on stderr', async () => {
    const r = await weftInProcess(['export', 'gateway-api']);
    expect(r.status).toBe(0);
    const docs = parseAllDocuments(r.stdout).map((d) => d.toJS() as { kind: string; spec: { parentRefs: unknown[] } });
    expect(docs.map((d) => d.kind)).toEqual(['HTTPRoute', 'HTTPRoute', 'HTTPRoute', 'HTTPRoute', 'HTTPRoute']);
    expect(docs[0]?.spec.parentRefs).toEqual([{ name: 'weft' }]);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines.at(-1)).toMatch(/^exported 5 HTTPRoutes and 0 GRPCRoutes; \d+ notes$/);
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^policies\/edge\/api\.yaml:\d+: Authentication default\/api: not expressible in the Gateway API \(implementations have their own policies for end-user authentication: Envoy Gateway SecurityPolicy, Istio RequestAuthentication\)$/,
      ),
    );
  });

  it('--gateway names the parent Gateway, with its namespace; --out writes a file', async () => {
    const out = join(dir, 'export', 'routes.yaml');
    const r = await weftInProcess(['export', 'gateway-api', 'policies/edge', '--gateway', 'infra/edge', '--out', out]);
    expect(r).toMatchObject({ status: 0, stdout: '' });
    const doc = parseAllDocuments(await readFile(out, 'utf8'))[0]?.toJS() as { spec: { parentRefs: unknown[] } };
    expect(doc.spec.parentRefs).toEqual([{ name: 'edge', namespace: 'infra' }]);
  });

  it('exit 1 for invalid policy (nothing exported); exit 2 for a malformed --gateway', async () => {
    const bad = await write('bad/route.yaml', 'apiVersion: weft/v1\nkind: Route\nmetadata:\n  name: r\nspec:\n  rules: []\n');
    const [invalid, usage] = await Promise.all([weftInProcess(['export', 'gateway-api', bad]), weftInProcess(['export', 'gateway-api', '--gateway', 'a/b/c'])]);
    expect(invalid).toMatchObject({ status: 1, stdout: '' });
    expect(invalid.stderr).toMatch(/nothing exported\n$/);
    expect(usage).toEqual({ status: 2, stdout: '', stderr: 'weft: --gateway a/b/c: expected [namespace/]name\n' });
  });
});
