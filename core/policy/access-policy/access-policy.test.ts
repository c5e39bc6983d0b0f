import { describe, expect, it } from 'vitest';
import { compileValid, doc, errorLines } from '../../../test/support/compile-yaml.ts';

const svc = { 'svc.yaml': doc('Service', 'reviews', 'port: 80') };
const policy = (spec: string) => ({ ...svc, 'ap.yaml': doc('AccessPolicy', 'p', `targetRefs: [{ kind: Service, name: reviews }]\n${spec}`) });

describe('AccessPolicy', () => {
  it('compiles sources, operations and conditions (unset fields are null = any)', () => {
    const body = compileValid(
      policy('action: allow\nrules:\n  - from: { principals: ["spiffe://weft.local/ns/shop/sa/*"], ipBlocks: [10.0.0.0/8, "2001:db8::/32"] }\n    to: { methods: [get], paths: ["/reviews/*"] }\n    when: [{ header: X-Env, values: [prod] }]'),
    );
    expect(body.accessPolicies).toEqual([
      {
        id: 'default/p',
        targets: [{ kind: 'Service', id: 'default/reviews' }],
        action: 'allow',
        rules: [
          {
            from: { principals: ['spiffe://weft.local/ns/shop/sa/*'], requestPrincipals: null, ipBlocks: ['10.0.0.0/8', '2001:db8::/32'], notIpBlocks: null },
            to: { hosts: null, methods: ['GET'], paths: ['/reviews/*'] },
            when: [{ header: 'x-env', values: ['prod'] }],
          },
        ],
      },
    ]);
  });

  it('an allow policy without rules is valid (it allows nothing)', () => {
    expect(compileValid(policy('action: allow')).accessPolicies[0]?.rules).toEqual([]);
  });

  it('rejects bad principals, bad CIDRs and unnormalized paths', () => {
    const lines = errorLines(
      policy('action: deny\nrules:\n  - from: { principals: [productpage], ipBlocks: [10.0.0.0/33, 300.1.1.1] }\n    to: { paths: ["/a/./b", "/ok/*"] }'),
    );
    expect(lines).toEqual([
      'ap.yaml:9:28: spec.rules[0].from.principals[0]: expected a SPIFFE ID (spiffe://weft.local/ns/<namespace>/sa/<service>) or *, got "productpage"',
      'ap.yaml:9:53: spec.rules[0].from.ipBlocks[0]: expected an IP address or CIDR block such as 10.0.0.0/8 or 2001:db8::/32, got "10.0.0.0/33"',
      'ap.yaml:9:66: spec.rules[0].from.ipBlocks[1]: expected an IP address or CIDR block such as 10.0.0.0/8 or 2001:db8::/32, got "300.1.1.1"',
      'ap.yaml:10:21: spec.rules[0].to.paths[0]: path "/a/./b" is not in normalized form (requests are normalized before access checks, so it would never match)',
    ]);
  });

  it('a condition names a claim or a header, not both', () => {
    expect(errorLines(policy('action: deny\nrules:\n  - when: [{ claim: c, header: h, values: [x] }]'))).toEqual([
      'ap.yaml:9:14: spec.rules[0].when[0]: a condition needs exactly one of claim or header',
    ]);
  });

  it('needs an action and an existing target', () => {
    expect(errorLines({ ...svc, 'ap.yaml': doc('AccessPolicy', 'p', 'targetRefs: [{ kind: Route, name: ghost }]\naction: allow') })).toEqual([
      'ap.yaml:6:37: spec.targetRefs[0].name: Route "default/ghost" does not exist',
    ]);
    expect(errorLines(policy('rules: []'))).toEqual([expect.stringMatching(/^ap\.yaml:6:3: spec\.action: .*expected one of "allow"\|"deny"/)]);
  });

  it('refuses principals on a Route that applies at the edge only: the edge data plane sees no mesh identity', () => {
    const route = (spec: string) => ({ ...svc, 'route.yaml': doc('Route', 'web', `${spec}\nrules:\n  - backends: [{ service: reviews }]`) });
    const ap = doc('AccessPolicy', 'p', 'targetRefs: [{ kind: Route, name: web }]\naction: allow\nrules:\n  - from: { principals: ["spiffe://weft.local/ns/default/sa/web"] }');
    expect(errorLines({ ...route('edge: { hosts: [web.example.com] }'), 'ap.yaml': ap })).toEqual([
      'ap.yaml:9:27: spec.rules[0].from.principals: the edge data plane cannot enforce from.principals: callers of the edge gateway carry no mesh identity (SPIFFE ID), and Route "default/web" applies at the edge only',
    ]);
    // In the mesh the callee's sidecar checks the verified caller.
    expect(errorLines({ ...route('mesh: { services: [reviews] }'), 'ap.yaml': ap })).toEqual([]);
  });
});
