// `weft export gateway-api`: the shipped policies as HTTPRoutes (golden file, UPDATE_GOLDEN=1
// regenerates), GRPCRoute when a route only matches gRPC methods, and a note for each Weft
// feature the Gateway API cannot express.
import { readFile, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { readPolicySources } from '../../cli/policy-files.ts';
import { exportGatewayApi } from '../../cli/gateway-api/export.ts';
import { formatNote } from '../../cli/gateway-api/notes.ts';
import { documentsToYaml } from '../../cli/gateway-api/write-yaml.ts';
import { compileDocuments } from '../../core/compile/compile.ts';
import { loadPolicyYaml } from '../../core/policy/load-yaml.ts';

const GOLDEN = new URL('../../cli/gateway-api/testdata/export/policies.golden.yaml', import.meta.url);

function exportTexts(files: Record<string, string>) {
  const sources = Object.entries(files).flatMap(([name, text]) => loadPolicyYaml(name, text).documents);
  const compiled = compileDocuments(sources);
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.errors, null, 2));
  const r = exportGatewayApi(sources, compiled.body, { gateway: { name: 'edge' } });
  return { notes: r.notes.map(formatNote), docs: r.documents.map((d) => d.document as { kind: string; spec: { rules: Record<string, unknown>[] } }) };
}

const GREETERS = ['greeter', 'greeter-next']
  .map((name) => `apiVersion: weft/v1\nkind: Service\nmetadata:\n  name: ${name}\nspec:\n  port: 50051\n  protocol: grpc\n---\n`)
  .join('');

describe('weft export gateway-api', () => {
  it('exports the shipped policies to the reviewed golden manifests and notes', async () => {
    const sources = await readPolicySources(['policies']);
    const compiled = compileDocuments(sources.documents);
    if (!compiled.ok) throw new Error('shipped policies must compile');
    const r = exportGatewayApi(sources.documents, compiled.body, { gateway: { name: 'weft' } });
    const text = `${r.notes.map((n) => `# note: ${formatNote(n)}`).join('\n')}\n${documentsToYaml(r.documents)}`;
    if (process.env.UPDATE_GOLDEN) await writeFile(GOLDEN, text);
    expect(text).toBe(await readFile(GOLDEN, 'utf8'));
  });

  it('a route that only matches gRPC methods becomes a GRPCRoute; one with a timeout stays an HTTPRoute with gRPC paths', () => {
    const route = (service: string, extra: string) => `apiVersion: weft/v1
kind: Route
metadata:
  name: ${service}
spec:
  mesh:
    services: [${service}]
  rules:
    - matches:
        - grpc: { service: helloworld.Greeter, method: SayHello }
          headers: [{ name: x-tenant, exact: acme }]
        - grpc: { service: helloworld.Greeter }
      backends: [{ service: ${service} }]
${extra}`;
    const r = exportTexts({ 'grpc.yaml': `${GREETERS}${route('greeter', '')}---\n${route('greeter-next', '      timeout: 2s\n')}` });
    expect(r.notes).toEqual(
      ['grpc.yaml:7: Service default/greeter', 'grpc.yaml:15: Service default/greeter-next'].map(
        (at) => `${at} protocol: the Gateway API takes a backend's protocol (grpc) from its Kubernetes Service: give that port appProtocol kubernetes.io/h2c`,
      ),
    );
    expect(r.docs.map((d) => d.kind)).toEqual(['GRPCRoute', 'HTTPRoute']);
    expect(r.docs[0]?.spec).toMatchObject({ parentRefs: [{ group: '', kind: 'Service', name: 'greeter' }] });
    expect(r.docs[0]?.spec.rules).toEqual([
      {
        matches: [{ method: { service: 'helloworld.Greeter', method: 'SayHello' }, headers: [{ type: 'Exact', name: 'x-tenant', value: 'acme' }] }, { method: { service: 'helloworld.Greeter' } }],
        backendRefs: [{ name: 'greeter', port: 50051 }],
      },
    ]);
    expect(r.docs[1]?.spec.rules[0]?.matches).toEqual([
      { path: { type: 'Exact', value: '/helloworld.Greeter/SayHello' }, headers: [{ type: 'Exact', name: 'x-tenant', value: 'acme' }] },
      { path: { type: 'PathPrefix', value: '/helloworld.Greeter' } },
    ]);
  });

  it('notes what the Gateway API cannot express: fault, body limit, WebSocket limits, prefix and presence matches, retry budget', () => {
    const r = exportTexts({
      'api.yaml': `apiVersion: weft/v1
kind: Service
metadata:
  name: api
spec:
  port: 8080
---
apiVersion: weft/v1
kind: Route
metadata:
  name: api
spec:
  edge:
    hosts: ["*"]
  rules:
    - matches:
        - headers: [{ name: x-beta, prefix: "v2." }, { name: x-debug, present: true }]
      backends: [{ service: api }]
      fault:
        abort: { status: 503, percent: 1 }
      maxRequestBytes: 1024
      websocket: { idleTimeout: 5m }
      retries:
        attempts: 2
        retryOn: [retriable-status-codes, connect-failure, reset]
        statusCodes: [503]
        budget: { percent: 10 }
`,
    });
    expect(r.notes).toEqual([
      'api.yaml:17: Route default/api rules[0].matches[0].headers[0].prefix: a header prefix match has no Gateway API type: exported as the RegularExpression v2\\..*',
      'api.yaml:17: Route default/api rules[0].matches[0].headers[1].present: a header presence match has no Gateway API type: exported as the RegularExpression .*',
      'api.yaml:20: Route default/api rules[0].fault: not expressible in the Gateway API (implementations have their own policies for fault injection); dropped',
      'api.yaml:21: Route default/api rules[0].maxRequestBytes: not expressible in the Gateway API (it has no request body limit); dropped',
      'api.yaml:22: Route default/api rules[0].websocket: not expressible in the Gateway API (it has no WebSocket limits); dropped',
      'api.yaml:27: Route default/api rules[0].retries.budget: not expressible in the Gateway API (no retry budget); dropped',
    ]);
    expect(r.docs[0]?.spec).toMatchObject({ parentRefs: [{ name: 'edge' }], rules: [{ retry: { attempts: 2, codes: [503], backoff: '25ms' } }] });
    expect(r.docs[0]?.spec).not.toHaveProperty('hostnames');
  });
});
