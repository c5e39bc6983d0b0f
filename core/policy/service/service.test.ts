import { describe, expect, it } from 'vitest';
import { compileValid, doc, errorLines } from '../../../test/support/compile-yaml.ts';
import { createErrorSink } from '../compile-context.ts';
import { formatPolicyError } from '../errors.ts';
import type { PolicyError } from '../errors.ts';
import { loadPolicyYaml } from '../load-yaml.ts';
import { compileService } from './compile.ts';
import { serviceDocument } from './schema.ts';
import { effectiveMtlsMode } from './mtls-mode.ts';

describe('Service', () => {
  it('compiles subsets, static endpoints (port defaulted) and load balancing', () => {
    const body = compileValid(
      doc(
        'Service',
        'reviews',
        'port: 9080\nsubsets:\n  - { name: v1, labels: { version: v1 } }\nendpoints:\n  - { address: 10.0.0.1, labels: { version: v1 } }\n  - { address: 10.0.0.2, port: 9999 }\nloadBalancer: { algorithm: consistent-hash, hashOn: { header: X-User } }\noutlierDetection: { consecutive5xx: 3 }',
      ),
    );
    expect(body.services).toEqual([
      expect.objectContaining({
        id: 'default/reviews',
        port: 9080,
        endpoints: [
          { address: '10.0.0.1', port: 9080, labels: { version: 'v1' }, weight: 1 },
          { address: '10.0.0.2', port: 9999, labels: {}, weight: 1 },
        ],
        loadBalancer: { algorithm: 'consistent-hash', hashOn: { header: 'x-user' } },
        outlierDetection: { consecutive5xx: 3, consecutiveGatewayErrors: 5, intervalMs: 10_000, baseEjectionTimeMs: 30_000, maxEjectionPercent: 50 },
        connectionLimits: { maxConnections: 1024, maxPendingRequests: 1024, maxRequestsPerConnection: 0 },
      }),
    ]);
  });

  it('needs hashOn for consistent-hash and refuses it elsewhere', () => {
    expect(errorLines(doc('Service', 's', 'loadBalancer: { algorithm: consistent-hash }'))).toEqual([
      'test.yaml:6:17: spec.loadBalancer.hashOn: consistent-hash needs hashOn: {header}, {cookie} or {sourceIp: true}',
    ]);
    expect(errorLines(doc('Service', 's', 'loadBalancer: { algorithm: random, hashOn: { sourceIp: true } }'))).toEqual([
      'test.yaml:6:46: spec.loadBalancer.hashOn: hashOn applies only to consistent-hash, not random',
    ]);
  });

  it('rejects duplicate subsets, wrong types, out-of-range ports and unknown fields', () => {
    const lines = errorLines(
      doc('Service', 's', 'port: eighty\nsubsets:\n  - { name: v1, labels: { v: "1" } }\n  - { name: v1, labels: { v: "2" } }\nendpoints:\n  - { address: 10.0.0.1, port: 70000 }\nweights: 3'),
    );
    expect(lines).toEqual([
      'test.yaml:6:9: spec.port: expected number, received string',
      'test.yaml:11:34: spec.endpoints[0].port: Too big: expected number to be <=65535',
      'test.yaml:12:3: spec.weights: unknown field "weights"',
    ]);
  });

  it('rejects duplicate subset names', () => {
    expect(errorLines(doc('Service', 's', 'subsets:\n  - { name: v1, labels: { v: "1" } }\n  - { name: v1, labels: { v: "2" } }'))).toEqual([
      'test.yaml:8:15: spec.subsets[1].name: duplicate subset "v1"',
    ]);
  });

  it('rejects names that are not DNS labels', () => {
    expect(errorLines(doc('Service', 'Reviews_V1', 'port: 80'))).toEqual([
      expect.stringMatching(/^test\.yaml:4:9: metadata\.name: expected a lower-case DNS label/),
    ]);
  });

  it('overrides the Mesh mTLS mode per Service, and keeps the Mesh mode when omitted', () => {
    const body = compileValid({
      'mesh.yaml': doc('Mesh', 'weft', 'mtls: { mode: strict }'),
      'legacy.yaml': doc('Service', 'legacy', 'mtls: { mode: permissive }'),
      'reviews.yaml': doc('Service', 'reviews', 'port: 9080'),
    });
    const legacy = body.services.find((s) => s.name === 'legacy');
    const reviews = body.services.find((s) => s.name === 'reviews');
    expect(legacy?.mtls).toEqual({ mode: 'permissive' });
    expect(reviews && 'mtls' in reviews).toBe(false);
    expect(effectiveMtlsMode(body.mesh, legacy)).toBe('permissive');
    expect(effectiveMtlsMode(body.mesh, reviews)).toBe('strict');
    expect(effectiveMtlsMode({ mtls: { mode: 'permissive' } }, reviews)).toBe('permissive');
  });

  it('refuses an unknown mTLS mode', () => {
    expect(errorLines(doc('Service', 's', 'mtls: { mode: disabled }'))).toEqual(['test.yaml:6:17: spec.mtls.mode: Invalid option: expected one of "strict"|"permissive"']);
  });

  it('refuses a sticky-cookie ttl: no data plane issues the cookie', () => {
    // The Service compile step on its own, with an error sink, as the compiler runs it.
    const [source] = loadPolicyYaml('svc.yaml', doc('Service', 's', 'loadBalancer:\n  algorithm: consistent-hash\n  hashOn: { cookie: { name: session, ttl: 1h } }')).documents;
    const parsed = serviceDocument.parse(source?.value);
    const errors: PolicyError[] = [];
    const typed = { source: source as NonNullable<typeof source>, kind: 'Service', meta: parsed.metadata, spec: parsed.spec, id: 'default/s' };
    compileService(typed, { error: createErrorSink(errors) });
    expect(errors.map(formatPolicyError)).toEqual([
      'svc.yaml:8:45: spec.loadBalancer.hashOn.cookie.ttl: no data plane issues the sticky cookie: the edge gateway and the mesh sidecar hash on the cookie when the client sends it, but neither sets it; remove ttl and have the app set the cookie',
    ]);
    // Hashing on a cookie the client sends is enforced.
    expect(compileValid(doc('Service', 's', 'loadBalancer:\n  algorithm: consistent-hash\n  hashOn: { cookie: { name: session } }')).services[0]?.loadBalancer.hashOn).toEqual({ cookie: { name: 'session' } });
  });
});
