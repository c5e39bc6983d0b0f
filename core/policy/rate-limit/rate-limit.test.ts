import { describe, expect, it } from 'vitest';
import { compileValid, doc, errorLines } from '../../../test/support/compile-yaml.ts';

const KEY_HASH = 'a2fb8545fcd457204e9fee11be92013aa3240b1b146fe262ba608fdfc159041c';
const base = {
  'svc.yaml': doc('Service', 'api', 'port: 80'),
  'route.yaml': doc('Route', 'api', 'edge: { hosts: [api.example.com] }\nrules:\n  - backends: [{ service: api }]'),
};
const limit = (limits: string, extra: Record<string, string> = {}) => ({
  ...base,
  ...extra,
  'rl.yaml': doc('RateLimit', 'api', `targetRefs: [{ kind: Route, name: api }]\nlimits:\n${limits}`),
});

describe('RateLimit', () => {
  it('compiles keys, periods and burst (defaulting to requests)', () => {
    const body = compileValid(limit('  - { name: ip, key: client-ip, requests: 10, period: 1s }\n  - { name: tenant, key: { header: X-Tenant }, requests: 100, period: 1m, burst: 150, scope: global }'));
    expect(body.rateLimits[0]?.limits).toEqual([
      { name: 'ip', key: 'client-ip', requests: 10, periodMs: 1_000, burst: 10, scope: 'local' },
      { name: 'tenant', key: { header: 'x-tenant' }, requests: 100, periodMs: 60_000, burst: 150, scope: 'global' },
    ]);
  });

  it('rejects unknown keys, zero requests, zero periods and duplicate names', () => {
    expect(errorLines(limit('  - { name: a, key: cookie, requests: 0, period: 0s }'))).toEqual([
      expect.stringMatching(/^rl\.yaml:8:23: spec\.limits\[0\]\.key: expected client-ip, api-key, principal, request-principal, \{header: NAME\} or \{claim: NAME\}/),
      expect.stringMatching(/^rl\.yaml:8:41: spec\.limits\[0\]\.requests: Too small/),
      'rl.yaml:8:52: spec.limits[0].period: expected a duration greater than zero',
    ]);
    expect(errorLines(limit('  - { name: a, key: client-ip, requests: 1, period: 1s }\n  - { name: a, key: request-principal, requests: 1, period: 1s }'))).toEqual([
      'rl.yaml:9:15: spec.limits[1].name: duplicate limit "a"',
    ]);
  });

  it('an api-key limit needs API-key authentication on the same target (else the key never exists)', () => {
    const l = '  - { name: k, key: api-key, requests: 5, period: 1s }';
    expect(errorLines(limit(l))).toEqual([
      'rl.yaml:8:23: spec.limits[0].key: key api-key needs an Authentication with apiKeys on the same targets, or the key is never present',
    ]);
    const auth = doc('Authentication', 'api', `targetRefs: [{ kind: Route, name: api }]\napiKeys:\n  keys: [{ name: acme, sha256: ${KEY_HASH} }]`);
    expect(errorLines(limit(l, { 'auth.yaml': auth }))).toEqual([]);
  });

  it('refuses key principal on a Route that applies at the edge only: the edge data plane sees no mesh identity', () => {
    expect(errorLines(limit('  - { name: callers, key: principal, requests: 5, period: 1s }'))).toEqual([
      'rl.yaml:8:29: spec.limits[0].key: the edge data plane cannot enforce key principal: callers of the edge gateway carry no mesh identity (SPIFFE ID), so the limit would count nothing, and Route "default/api" applies at the edge only',
    ]);
    // On a Service the callee's sidecar counts per verified caller.
    const onService = { ...base, 'rl.yaml': doc('RateLimit', 'api', 'targetRefs: [{ kind: Service, name: api }]\nlimits:\n  - { name: callers, key: principal, requests: 5, period: 1s }') };
    expect(errorLines(onService)).toEqual([]);
  });
});
