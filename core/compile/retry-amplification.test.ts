// The compile warnings about retries: tries that multiply along a chain of calls (the call
// graph from allow AccessPolicies), one rule past the bound, and a budget without a floor.
// Warnings only: the policy stays valid.
import { describe, expect, it } from 'vitest';
import { formatPolicyError } from '../policy/errors.ts';
import { compileYaml, doc } from '../../test/support/compile-yaml.ts';
import { amplifyingTries } from './retry-amplification.ts';
import { BUILTIN_RETRIES } from '../policy/shared/resilience.ts';

function warnings(...docs: string[]): string[] {
  const r = compileYaml(docs.join('---\n'));
  if (!r.ok) throw new Error(r.errors.map(formatPolicyError).join('\n'));
  return r.warnings.filter((w) => w.code === 'retry-amplification' || w.code === 'retry-budget').map(formatPolicyError);
}

const MESH = doc('Mesh', 'weft', 'trustDomain: weft.local');
const services = ['front', 'middle', 'leaf'].map((s) => doc('Service', s, 'port: 8080'));
/** `caller` may call `callee`: an allow policy on the callee naming the caller. */
const calls = (caller: string, callee: string) =>
  doc('AccessPolicy', `${callee}-from-${caller}`, `targetRefs: [{ kind: Service, name: ${callee} }]\naction: allow\nrules:\n  - from:\n      principals: [spiffe://weft.local/ns/default/sa/${caller}]`);
const meshRoute = (service: string, retries: string) => doc('Route', service, `mesh:\n  services: [${service}]\nrules:\n  - name: all\n    backends: [{ service: ${service} }]${retries ? `\n    retries: ${retries}` : ''}`);
const edgeRoute = (retries: string) => doc('Route', 'edge', `edge:\n  hosts: [shop.example.com]\nrules:\n  - name: pages\n    backends: [{ service: front }]${retries ? `\n    retries: ${retries}` : ''}`);
const TIMEOUTS = '{ attempts: 2, retryOn: [reset, connect-failure] }';

describe('amplifyingTries', () => {
  it('counts attempts + 1 only when a condition can fire after the upstream got the request', () => {
    expect(amplifyingTries(BUILTIN_RETRIES)).toBe(1);
    expect(amplifyingTries({ ...BUILTIN_RETRIES, retryOn: ['connect-failure', '5xx'] })).toBe(3);
    expect(amplifyingTries({ ...BUILTIN_RETRIES, retryOn: ['unavailable'] })).toBe(3);
    expect(amplifyingTries({ ...BUILTIN_RETRIES, retryOn: ['retriable-status-codes'], statusCodes: [] })).toBe(1);
    expect(amplifyingTries({ ...BUILTIN_RETRIES, retryOn: ['5xx'], attempts: 0 })).toBe(1);
  });
});

describe('weft validate: retries that multiply across hops', () => {
  it('warns at the outermost retrying rule with the chain, from the calls AccessPolicy states', () => {
    const w = warnings(MESH, ...services, calls('front', 'middle'), calls('middle', 'leaf'), edgeRoute(TIMEOUTS), meshRoute('middle', TIMEOUTS), meshRoute('leaf', ''));
    expect(w).toEqual([
      expect.stringMatching(
        /^test\.yaml:\d+:\d+: spec\.rules\[0\]\.retries: retries multiply across hops: default\/edge#pages \(3 tries\) → default\/middle#all \(3 tries\) may send the last call 9 times for one request \(more than 4; calls known from AccessPolicy\)\. Retry timeouts and 5xx at one hop only, the one nearest the failure/,
      ),
    ]);
  });

  it('says so when a hop’s retries are the Mesh defaults, and counts services no route governs by them', () => {
    const mesh = doc('Mesh', 'weft', 'trustDomain: weft.local\ndefaults:\n  retries: { attempts: 2, retryOn: [gateway-error, connect-failure] }');
    const w = warnings(mesh, ...services, calls('front', 'middle'), edgeRoute(''));
    // Once at the Mesh for the calls between services no route governs, and at the edge rule.
    expect(w).toEqual([
      expect.stringMatching(
        /^test\.yaml:8:\d+: spec\.defaults\.retries: retries multiply across hops: default\/front \(no mesh route\) \(3 tries, Mesh default\) → default\/middle \(no mesh route\) \(3 tries, Mesh default\) may send the last call 9 times/,
      ),
      expect.stringMatching(/spec\.rules\[0\]: retries multiply across hops: default\/edge#pages \(3 tries, Mesh default\) → default\/middle \(no mesh route\) \(3 tries, Mesh default\) may send the last call 9 times/),
    ]);
  });

  it('is quiet when only one hop retries timeouts and 5xx (the others connect failures only)', () => {
    expect(warnings(MESH, ...services, calls('front', 'middle'), calls('middle', 'leaf'), edgeRoute(''), meshRoute('middle', ''), meshRoute('leaf', '{ attempts: 3, retryOn: [5xx] }'))).toEqual([]);
  });

  it('knows no chain without an AccessPolicy naming the caller, and follows none through a cycle twice', () => {
    expect(warnings(MESH, ...services, edgeRoute(TIMEOUTS), meshRoute('middle', TIMEOUTS))).toEqual([]);
    const w = warnings(MESH, ...services, calls('middle', 'leaf'), calls('leaf', 'middle'), meshRoute('middle', TIMEOUTS), meshRoute('leaf', TIMEOUTS));
    expect(w.map((l) => l.replace(/^.*retries multiply across hops: /, '').replace(/ may send.*$/, ''))).toEqual([
      'default/middle#all (3 tries) → default/leaf#all (3 tries)',
      'default/leaf#all (3 tries) → default/middle#all (3 tries)',
    ]);
  });

  it('warns about one rule past the bound by itself', () => {
    const w = warnings(MESH, ...services, meshRoute('leaf', '{ attempts: 4, retryOn: [5xx] }'));
    expect(w).toEqual([
      expect.stringMatching(/spec\.rules\[0\]\.retries: default\/leaf#all \(5 tries\) may send one request 5 times on timeouts or errors the upstream answered \(attempts \+ 1\), more than 4/),
    ]);
  });

  it('never counts connect-failure retries, however many', () => {
    expect(warnings(MESH, ...services, calls('front', 'middle'), edgeRoute('{ attempts: 10 }'), meshRoute('middle', '{ attempts: 10, retryOn: [connect-failure] }'))).toEqual([]);
  });
});

describe('weft validate: a retry budget without a floor', () => {
  it('warns where the budget is written: on the rule, or once on the Mesh for the rules that inherit it', () => {
    const onRule = warnings(MESH, ...services, meshRoute('leaf', '{ attempts: 2, budget: { percent: 20, minRetriesPerSecond: 0 } }'));
    expect(onRule).toEqual([expect.stringMatching(/spec\.rules\[0\]\.retries\.budget: this retry budget has no floor \(minRetriesPerSecond: 0\): a retry needs 5 requests in flight at once/)]);
    const mesh = doc('Mesh', 'weft', 'trustDomain: weft.local\ndefaults:\n  retries: { budget: { percent: 10, minRetriesPerSecond: 0 } }');
    const inherited = warnings(mesh, ...services, meshRoute('leaf', ''), meshRoute('middle', ''));
    expect(inherited).toEqual([expect.stringMatching(/spec\.defaults\.retries\.budget: this retry budget has no floor .* a retry needs 10 requests in flight/)]);
  });

  it('is quiet with a floor, with percent 100, or without retries', () => {
    expect(warnings(MESH, ...services, meshRoute('leaf', '{ attempts: 2, budget: { percent: 20 } }'))).toEqual([]);
    expect(warnings(MESH, ...services, meshRoute('leaf', '{ attempts: 2, budget: { percent: 100, minRetriesPerSecond: 0 } }'))).toEqual([]);
    expect(warnings(MESH, ...services, meshRoute('leaf', '{ attempts: 0, budget: { percent: 20, minRetriesPerSecond: 0 } }'))).toEqual([]);
  });
});
