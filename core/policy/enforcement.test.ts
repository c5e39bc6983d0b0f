// "No policy without an enforcer", checked: every field of every kind's schema has an entry
// in core/policy/enforcement.ts for both data planes; every entry names a field that exists
// and a stage that is really in that plane's pipeline; every refusal is really made by the
// compiler. (test/docs/ checks docs/policies.md shows exactly this data.)
import { describe, expect, it } from 'vitest';
import { compileYaml, doc } from '../../test/support/compile-yaml.ts';
import { EDGE_STAGES, INBOUND_STAGES, outboundStages } from '../pipeline/pipelines.ts';
import type { PipelineContext } from '../pipeline/context.ts';
import { responseHeaderOps } from '../pipeline/response-header-ops.ts';
import { ENFORCEMENT, enforcementOf, OFF_PATH_HANDLERS, parentPath, PLANES } from './enforcement.ts';
import type { Enforcer, KindEnforcement, Plane } from './enforcement.ts';
import { createErrorSink } from './compile-context.ts';
import { formatPolicyError } from './errors.ts';
import type { PolicyError } from './errors.ts';
import { policyJsonSchemas } from './json-schema.ts';
import { loadPolicyYaml } from './load-yaml.ts';
import { POLICY_KINDS } from './registry.ts';
import type { PolicyKindName } from './registry.ts';
import { compileService } from './service/compile.ts';
import { serviceDocument } from './service/schema.ts';

interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  additionalProperties?: JsonSchema | boolean;
  $ref?: string;
}

function alternatives(s: JsonSchema): JsonSchema[] {
  const alts = [...(s.anyOf ?? []), ...(s.oneOf ?? []), ...(s.allOf ?? [])];
  return alts.length > 0 ? alts.flatMap(alternatives) : [s];
}

/** A field whose every form only holds other fields (an object, a list of objects); anything else is a value someone must act on. */
function isContainer(s: JsonSchema): boolean {
  return alternatives(s).every((a) => a.properties !== undefined || (a.type === 'array' && a.items !== undefined && isContainer(a.items)));
}

/**
 * Every field path of a JSON Schema (property names, `[]` into a list's items, `*` into a
 * map's values; a union contributes the fields of all its forms), and the value fields among
 * them: those that are not mere containers of other fields.
 */
function fieldPaths(root: JsonSchema): { all: string[]; values: string[] } {
  const all = new Set<string>();
  const values = new Set<string>();
  const walk = (s: JsonSchema, path: string): void => {
    if (s.$ref) throw new Error(`unexpected $ref ${s.$ref} at ${path}: teach this walker to follow it`);
    for (const alt of [...(s.anyOf ?? []), ...(s.oneOf ?? []), ...(s.allOf ?? [])]) walk(alt, path);
    if (s.items) walk(s.items, `${path}[]`);
    if (typeof s.additionalProperties === 'object') walk(s.additionalProperties, `${path}.*`);
    for (const [name, field] of Object.entries(s.properties ?? {})) {
      const p = path === '' ? name : `${path}.${name}`;
      all.add(p);
      if (!isContainer(field)) values.add(p);
      walk(field, p);
    }
  };
  walk(root, '');
  return { all: [...all], values: [...values] };
}

const SCHEMAS = policyJsonSchemas();
const FIELDS = Object.fromEntries(POLICY_KINDS.map((k) => [k.kind, fieldPaths(SCHEMAS[`${k.slug}.json`] as JsonSchema)])) as Record<PolicyKindName, { all: string[]; values: string[] }>;

const STAGES: Record<Plane, Set<string>> = {
  edge: new Set(EDGE_STAGES.map((s) => s.name)),
  mesh: new Set([...outboundStages('default'), ...INBOUND_STAGES].map((s) => s.name)),
};

function handlersOf(e: Enforcer): string[] {
  if (typeof e === 'string') return [e];
  if ('notApplicable' in e) return [];
  return e.otherwise ? handlersOf(e.otherwise) : [];
}

function reasonsOf(e: Enforcer): string[] {
  if (typeof e === 'string') return [];
  if ('notApplicable' in e) return [e.notApplicable];
  return [e.refused, ...(e.otherwise ? reasonsOf(e.otherwise) : [])];
}

/** What is wrong with one kind's table: fields without an entry, entries without a field, names that are no enforcer of that plane. */
function problems(kind: PolicyKindName, table: KindEnforcement): string[] {
  const { all, values } = FIELDS[kind];
  const out: string[] = [];
  for (const f of values) if (!enforcementOfIn(table, f)) out.push(`${kind}.${f}: no entry`);
  for (const [path, entry] of Object.entries(table)) {
    if (!all.includes(path)) out.push(`${kind}.${path}: no such field`);
    for (const plane of PLANES) {
      for (const h of handlersOf(entry[plane]))
        if (!STAGES[plane].has(h) && !(OFF_PATH_HANDLERS as readonly string[]).includes(h)) out.push(`${kind}.${path}: ${h} is not a stage of the ${plane} plane`);
      for (const r of reasonsOf(entry[plane])) if (r.trim() === '') out.push(`${kind}.${path}: ${plane} needs a reason`);
    }
  }
  return out;
}

function enforcementOfIn(table: KindEnforcement, path: string): boolean {
  for (let p = path; p !== ''; p = parentPath(p)) if (table[p]) return true;
  return false;
}

const KINDS = POLICY_KINDS.map((k) => k.kind);

describe('which data plane enforces what', () => {
  it('finds the fields of every kind in its schema', () => {
    // The walk itself: fields deep in lists and unions are found, so the table is checked against them.
    expect(FIELDS.Route.values).toEqual(expect.arrayContaining(['spec.rules[].retries.attempts', 'spec.rules[].cors.allowOrigins', 'spec.rules[].matches[].headers[].present', 'spec.rules[].matches[].methods']));
    expect(FIELDS.Route.values).not.toContain('spec.rules[].cors');
    expect(FIELDS.Service.values).toEqual(expect.arrayContaining(['spec.connectionLimits.maxConnections', 'spec.loadBalancer.hashOn.cookie.ttl', 'spec.subsets[].labels']));
    expect(FIELDS.Authentication.values).toEqual(expect.arrayContaining(['spec.jwt[].from[].query', 'spec.jwt[].jwks.keys[].kid', 'spec.apiKeys.from.cookie']));
    // `key: principal` is a value of the union itself, beside the fields of its object forms.
    expect(FIELDS.RateLimit.values).toEqual(expect.arrayContaining(['spec.limits[].key', 'spec.limits[].key.claim']));
  });

  it.each(KINDS)('%s: every field has an enforcer or a reason in both planes, and every entry is a real field and stage', (kind) => {
    expect(problems(kind, ENFORCEMENT[kind])).toEqual([]);
  });

  it('fails when an entry is deleted, names a missing field, or names a stage of the other plane', () => {
    const { 'spec.rules[].fault': _dropped, ...withoutFault } = ENFORCEMENT.Route;
    expect(problems('Route', withoutFault)).toEqual(['delay.fixed', 'delay.percent', 'abort.status', 'abort.percent'].map((f) => `Route.spec.rules[].fault.${f}: no entry`));
    expect(problems('Route', { ...ENFORCEMENT.Route, 'spec.rules[].cores': { edge: 'corsStage', mesh: 'corsStage' } })).toEqual([
      'Route.spec.rules[].cores: no such field',
      'Route.spec.rules[].cores: corsStage is not a stage of the mesh plane',
    ]);
    expect(problems('Service', { ...ENFORCEMENT.Service, 'spec.port': { edge: 'callerIdentityStage', mesh: 'attemptStage' } })).toEqual([
      'Service.spec.port: callerIdentityStage is not a stage of the edge plane',
      'Service.spec.port: attemptStage is not a stage of the mesh plane',
    ]);
  });

  it('names the stages a reader expects for the fields the brief of each plane promises', () => {
    const at = (kind: PolicyKindName, path: string) => enforcementOf(kind, path)?.entry;
    expect(at('Route', 'spec.rules[].retries.attempts')).toEqual({ edge: 'attemptsStage', mesh: 'attemptsStage' });
    expect(at('Service', 'spec.connectionLimits.maxConnections')).toEqual({ edge: 'attemptsStage', mesh: 'attemptsStage' });
    expect(at('Route', 'spec.rules[].cors.maxAge')?.edge).toBe('corsStage');
    expect(at('Mesh', 'spec.pathNormalization.semicolons')).toEqual({ edge: 'normalizePathStage', mesh: 'normalizePathStage' });
    expect(at('Mesh', 'spec.identity.x509SvidTtl')?.mesh).toBe('control');
  });

  it('applies the rule’s then the backend’s response header operations where it routes: at the edge and outbound, not inbound', () => {
    const ops = { set: { a: '1' }, add: {}, remove: [] };
    const own = { set: {}, add: {}, remove: ['b'] };
    const none = { set: {}, add: {}, remove: [] as string[] };
    const c = (plane: string, backend = none) => ({ plane, match: { rule: { responseHeaders: ops } }, backend: { responseHeaders: backend } }) as unknown as PipelineContext;
    expect(responseHeaderOps.name).toBe('responseHeaderOps');
    expect(responseHeaderOps(c('edge'))).toEqual([ops]);
    expect(responseHeaderOps(c('outbound', own))).toEqual([ops, own]);
    expect(responseHeaderOps(c('inbound', own))).toEqual([]);
  });
});

// One policy per refusal that the compiler must refuse with the table's text.
const api = doc('Service', 'api', 'port: 80');
const edgeRoute = doc('Route', 'web', 'edge: { hosts: [web.example.com] }\nrules:\n  - backends: [{ service: api }]');
const REFUSAL_PROBES: Record<string, () => string[]> = {
  [refusedText(ENFORCEMENT.Route['spec.rules[].cors']?.mesh)]: () =>
    errors({ 'a.yaml': api, 'r.yaml': doc('Route', 'r', 'mesh: { services: [api] }\nrules:\n  - backends: [{ service: api }]\n    cors: { allowOrigins: ["*"] }') }),
  [refusedText(ENFORCEMENT.Route['spec.rules[].backends[].port']?.edge)]: () =>
    errors({ 'a.yaml': api, 'r.yaml': doc('Route', 'r', 'mesh: { services: [api] }\nrules:\n  - backends: [{ service: api, port: 8080 }]') }),
  [refusedText(ENFORCEMENT.Service['spec.loadBalancer.hashOn.cookie.ttl']?.edge)]: () =>
    serviceErrors('loadBalancer: { algorithm: consistent-hash, hashOn: { cookie: { name: s, ttl: 1h } } }'),
  [refusedText(ENFORCEMENT.Authentication['spec.jwt[].from[].query']?.edge)]: () =>
    errors({ 'a.yaml': api, 'w.yaml': edgeRoute, 'au.yaml': doc('Authentication', 'au', 'targetRefs: [{ kind: Route, name: web }]\njwt:\n  - { name: idp, issuer: i, jwksUri: "https://i/jwks", from: [{ query: t }] }') }),
  [refusedText(ENFORCEMENT.Authentication['spec.apiKeys.from.query']?.edge)]: () =>
    errors({ 'a.yaml': api, 'w.yaml': edgeRoute, 'au.yaml': doc('Authentication', 'au', `targetRefs: [{ kind: Route, name: web }]\napiKeys: { from: { query: k }, keys: [{ name: p, sha256: "${'0'.repeat(64)}" }] }`) }),
  [refusedText(ENFORCEMENT.AccessPolicy['spec.rules[].from.principals']?.edge)]: () =>
    errors({ 'a.yaml': api, 'w.yaml': edgeRoute, 'ap.yaml': doc('AccessPolicy', 'ap', 'targetRefs: [{ kind: Route, name: web }]\naction: deny\nrules: [{ from: { principals: ["*"] } }]') }),
  [refusedText(ENFORCEMENT.RateLimit['spec.limits[].key']?.edge)]: () =>
    errors({ 'a.yaml': api, 'w.yaml': edgeRoute, 'rl.yaml': doc('RateLimit', 'rl', 'targetRefs: [{ kind: Route, name: web }]\nlimits: [{ name: l, key: principal, requests: 1, period: 1s }]') }),
};

function refusedText(e: Enforcer | undefined): string {
  return e && typeof e === 'object' && 'refused' in e ? e.refused : '(not a refusal)';
}

function errors(files: Record<string, string>): string[] {
  const r = compileYaml(files);
  return r.ok ? [] : r.errors.map(formatPolicyError);
}

/** The Service compile step alone, with an error sink (the compiler proper may not hand it one yet). */
function serviceErrors(spec: string): string[] {
  const [source] = loadPolicyYaml('s.yaml', doc('Service', 's', spec)).documents;
  if (!source) throw new Error('no document');
  const parsed = serviceDocument.parse(source.value);
  const out: PolicyError[] = [];
  compileService({ source, kind: 'Service', meta: parsed.metadata, spec: parsed.spec, id: `default/${parsed.metadata.name}` }, { error: createErrorSink(out) });
  return out.map(formatPolicyError);
}

const REFUSALS = KINDS.flatMap((kind) =>
  Object.entries(ENFORCEMENT[kind]).flatMap(([path, entry]) =>
    PLANES.filter((plane) => typeof entry[plane] === 'object' && 'refused' in (entry[plane] as object)).map((plane) => ({ field: `${kind}.${path}`, plane, text: refusedText(entry[plane]) })),
  ),
);

describe('refusals in the table', () => {
  it.each(REFUSALS)('$field in the $plane plane is refused by the compiler, naming the plane', ({ plane, text }) => {
    expect(text).toContain(plane);
    const probe = REFUSAL_PROBES[text];
    expect(probe, `add a policy to REFUSAL_PROBES that the compiler refuses with: ${text}`).toBeDefined();
    expect((probe as () => string[])()).toEqual([expect.stringMatching(new RegExp(`^\\S+\\.yaml:\\d+:\\d+: \\S+: ${escape(text)}`))]);
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
