// The semantic diff a reviewer reads in a pull request: compiled from real policy YAML (before
// and after), checked for what is listed, how weights and fields read, and whether each
// security change is marked loosened or tightened by the enforcement semantics.
import { describe, expect, it } from 'vitest';
import { compileDocuments } from '../compile/compile.ts';
import { formatPolicyError } from '../policy/errors.ts';
import { loadPolicyYaml } from '../policy/load-yaml.ts';
import { canonicalJson } from '../snapshot/canonical-json.ts';
import type { SnapshotBody } from '../snapshot/types.ts';
import { formatSemanticDiff, semanticDiff } from './semantic-diff.ts';
import type { DocumentChange, SemanticDiff } from './semantic-diff.ts';

const doc = (kind: string, name: string, spec: string) =>
  `apiVersion: weft/v1\nkind: ${kind}\nmetadata:\n  name: ${name}\nspec:\n${spec.replace(/^/gm, '  ')}\n`;

const ACME_SHA = 'a2fb8545fcd457204e9fee11be92013aa3240b1b146fe262ba608fdfc159041c';
const PRODUCTPAGE = 'spiffe://weft.local/ns/default/sa/productpage';
const REVIEWS_SA = 'spiffe://weft.local/ns/default/sa/reviews';

const reviewsRoute = (v1: number, v3: number, timeout = '3s') =>
  doc(
    'Route',
    'reviews',
    [
      'mesh: { services: [reviews] }',
      'rules:',
      '  - name: default',
      '    backends:',
      `      - { service: reviews, subset: v1, weight: ${v1} }`,
      `      - { service: reviews, subset: v3, weight: ${v3} }`,
      `    timeout: ${timeout}`,
      '    retries: { attempts: 1, perTryTimeout: 1s }',
    ].join('\n'),
  );

const allow = (name: string, targets: string[], principals: string[]) =>
  doc(
    'AccessPolicy',
    name,
    `targetRefs:\n${targets.map((t) => `  - { kind: Service, name: ${t} }`).join('\n')}\naction: allow\nrules:\n  - from: { principals: [${principals.join(', ')}] }`,
  );

const deny = (name: string, target: string, methods: string[]) =>
  doc('AccessPolicy', name, `targetRefs: [{ kind: Service, name: ${target} }]\naction: deny\nrules:\n  - to: { methods: [${methods.join(', ')}] }`);

const rateLimit = (requests: number, period = '1s') =>
  doc('RateLimit', 'ratings', `targetRefs: [{ kind: Service, name: ratings }]\nlimits:\n  - { name: per-caller, key: principal, requests: ${requests}, period: ${period} }`);

const auth = (mode: 'required' | 'optional') =>
  doc('Authentication', 'api', `targetRefs: [{ kind: Route, name: api }]\nmode: ${mode}\napiKeys:\n  keys:\n    - { name: acme, sha256: ${ACME_SHA} }`);

/** The "before" policy set, one YAML document per entry; `null` in a change removes one. */
const BASE: Record<string, string> = {
  mesh: doc('Mesh', 'weft', 'mtls: { mode: strict }'),
  reviewsService: doc('Service', 'reviews', 'port: 9080\nsubsets:\n  - { name: v1, labels: { version: v1 } }\n  - { name: v2, labels: { version: v2 } }\n  - { name: v3, labels: { version: v3 } }'),
  ratingsService: doc('Service', 'ratings', 'port: 9080'),
  apiService: doc('Service', 'api', 'port: 9101'),
  reviewsRoute: reviewsRoute(90, 10),
  apiRoute: doc('Route', 'api', 'edge: { hosts: [api.example.com] }\nrules:\n  - name: all\n    backends: [{ service: api }]'),
  reviewsCallers: allow('reviews-callers', ['reviews'], [PRODUCTPAGE]),
  ratingsLimit: rateLimit(100),
  apiAuth: auth('required'),
};

function compile(docs: Record<string, string | null>): SnapshotBody {
  const text = Object.values(docs)
    .filter((d): d is string => d !== null)
    .join('---\n');
  const loaded = loadPolicyYaml('policy.yaml', text);
  const compiled = compileDocuments(loaded.documents);
  const errors = [...loaded.errors, ...(compiled.ok ? [] : compiled.errors)];
  if (errors.length > 0 || !compiled.ok) throw new Error(`policy does not compile:\n${errors.map(formatPolicyError).join('\n')}`);
  return compiled.body;
}

const before = compile(BASE);

function diffWith(changes: Record<string, string | null>, base: Record<string, string> = BASE): SemanticDiff {
  return semanticDiff(compile(base), compile({ ...base, ...changes }));
}

function only(diff: SemanticDiff): DocumentChange {
  expect(diff.changes).toHaveLength(1);
  return diff.changes[0] as DocumentChange;
}

describe('semanticDiff: documents and fields', () => {
  it('reports no changes for the same policy', () => {
    const diff = semanticDiff(before, compile(BASE));
    expect(diff.changes).toEqual([]);
    expect(diff.summary).toEqual({ added: 0, removed: 0, changed: 0, loosened: 0, tightened: 0 });
    expect(formatSemanticDiff(diff)).toBe('No changes.\n');
  });

  it('reports no changes when the documents are written in another order', () => {
    const reversed = Object.fromEntries(Object.entries(BASE).reverse());
    expect(semanticDiff(before, compile(reversed)).changes).toEqual([]);
  });

  it('reports no changes between a body and the same body read back from a snapshot file (canonical key order)', () => {
    // `weft diff snap.json policies/` compares a parsed snapshot (keys sorted by canonical
    // JSON) with a freshly compiled body (keys in compiler order): same policy, no changes.
    const fromFile = JSON.parse(canonicalJson(before)) as SnapshotBody;
    const diff = semanticDiff(fromFile, before);
    expect(formatSemanticDiff(diff)).toBe('No changes.\n');
    expect(diff.changes).toEqual([]);
  });

  it('shows only the real change when one side was read back from a snapshot file', () => {
    const fromFile = JSON.parse(canonicalJson(before)) as SnapshotBody;
    const diff = semanticDiff(fromFile, compile({ ...BASE, reviewsRoute: reviewsRoute(50, 50) }));
    expect(diff.changes.map((c) => `${c.kind} ${c.id}`)).toEqual(['Route default/reviews']);
  });

  it('lists an added route', () => {
    const c = only(diffWith({ ratingsRoute: doc('Route', 'ratings', 'mesh: { services: [ratings] }\nrules:\n  - backends: [{ service: ratings }]') }));
    expect(c).toEqual({ kind: 'Route', id: 'default/ratings', change: 'added', details: [], effect: null });
  });

  it('lists a removed route', () => {
    const diff = diffWith({ reviewsRoute: null });
    expect(only(diff)).toEqual({ kind: 'Route', id: 'default/reviews', change: 'removed', details: [], effect: null });
    expect(formatSemanticDiff(diff)).toBe('- Route default/reviews\n\n0 added, 1 removed, 0 changed; 0 loosened, 0 tightened\n');
  });

  it('shows moved weights as one line naming both moves', () => {
    const diff = diffWith({ reviewsRoute: reviewsRoute(50, 50) });
    const c = only(diff);
    expect(c).toMatchObject({ kind: 'Route', id: 'default/reviews', change: 'changed', effect: null });
    expect(c.details).toEqual(['~ rule default: weights: default/reviews/v1 90% → 50%, default/reviews/v3 10% → 50%']);
    expect(formatSemanticDiff(diff)).toBe(
      '~ Route default/reviews\n    ~ rule default: weights: default/reviews/v1 90% → 50%, default/reviews/v3 10% → 50%\n\n0 added, 0 removed, 1 changed; 0 loosened, 0 tightened\n',
    );
  });

  it('shows a backend replaced in a rule as a weight move from the old subset to the new one', () => {
    const after = reviewsRoute(90, 10).replace('subset: v3', 'subset: v2');
    expect(only(diffWith({ reviewsRoute: after })).details).toEqual(['~ rule default: weights: default/reviews/v2 0% → 10%, default/reviews/v3 10% → 0%']);
  });

  it('shows a rule timeout change as old → new in milliseconds', () => {
    const c = only(diffWith({ reviewsRoute: reviewsRoute(90, 10, '5s') }));
    expect(c.details).toEqual(['~ rule default: timeoutMs: 3000 → 5000']);
  });

  it('shows a gRPC match as the method path it routes, and gRPC retry conditions as added members', () => {
    const grpc = (method: string, retryOn: string) =>
      reviewsRoute(90, 10).replace('  - name: default\n', `  - name: default\n      matches: [{ grpc: { service: reviews.Reviews, method: ${method} } }]\n`).replace('perTryTimeout: 1s', `perTryTimeout: 1s, retryOn: [${retryOn}]`);
    const base = { ...BASE, reviewsRoute: grpc('Get', 'reset') };
    expect(only(diffWith({ reviewsRoute: grpc('List', 'reset, unavailable') }, base)).details).toEqual([
      '~ rule default: matches[0].path.value: /reviews.Reviews/Get → /reviews.Reviews/List',
      '~ rule default: retries.retryOn: +unavailable',
    ]);
  });

  it('shows rules added and removed by name', () => {
    const added = reviewsRoute(90, 10).replace(
      'rules:\n',
      'rules:\n    - name: jason\n      matches: [{ headers: [{ name: end-user, exact: jason }] }]\n      backends: [{ service: reviews, subset: v2 }]\n',
    );
    expect(only(diffWith({ reviewsRoute: added })).details).toEqual(['+ rule jason: → default/reviews/v2 100%']);
    expect(only(diffWith({ reviewsRoute: reviewsRoute(90, 10) }, { ...BASE, reviewsRoute: added })).details).toEqual(['- rule jason']);
  });

  it('shows an added rule’s relative weights as shares of its traffic', () => {
    const added = reviewsRoute(90, 10).replace(
      'rules:\n',
      'rules:\n    - name: split\n      matches: [{ path: { prefix: /split } }]\n      backends: [{ service: reviews, subset: v1, weight: 2 }, { service: reviews, subset: v2 }]\n',
    );
    expect(only(diffWith({ reviewsRoute: added })).details).toEqual(['+ rule split: → default/reviews/v1 66.7%, default/reviews/v2 33.3%']);
  });

  it('shows a change of mirrors and of a backend’s own header operations', () => {
    const base = reviewsRoute(90, 10);
    const after = base.replace('subset: v3, weight: 10 }', 'subset: v3, weight: 10, requestHeaders: { set: { x-v: "3" } } }\n      mirror: [{ service: reviews, subset: v2, percent: 5 }]');
    expect(only(diffWith({ reviewsRoute: after })).details).toEqual([
      '~ rule default: backends[1].requestHeaders.set.x-v: (none) → 3',
      '~ rule default: mirrors: [] → [{"service":"default/reviews","subset":"v2","percent":5}]',
    ]);
  });

  it('shows a Mesh default change, and the routes that inherit it, with their fields', () => {
    const diff = diffWith({ mesh: doc('Mesh', 'weft', 'mtls: { mode: strict }\ndefaults: { timeout: 20s }') });
    expect(diff.changes).toEqual([
      { kind: 'Mesh', id: 'mesh', change: 'changed', details: ['defaults.timeoutMs: 15000 → 20000'], effect: null },
      // reviews sets its own timeout; api inherits the Mesh default.
      { kind: 'Route', id: 'default/api', change: 'changed', details: ['~ rule all: timeoutMs: 15000 → 20000'], effect: null },
    ]);
  });
});

describe('semanticDiff: security effect', () => {
  it('adding the first allow policy on a target closes it to everyone else: tightened', () => {
    const c = only(diffWith({ ratingsCallers: allow('ratings-callers', ['ratings'], [REVIEWS_SA]) }));
    expect(c).toMatchObject({ kind: 'AccessPolicy', id: 'default/ratings-callers', change: 'added', effect: 'tightened' });
    expect(c.details).toEqual(['Service default/ratings: first allow policy, every request it does not allow is now denied']);
  });

  it('removing the only allow policy on a target opens it: loosened', () => {
    const diff = diffWith({ reviewsCallers: null });
    expect(only(diff)).toMatchObject({ kind: 'AccessPolicy', id: 'default/reviews-callers', change: 'removed', effect: 'loosened' });
    expect(formatSemanticDiff(diff)).toContain('- AccessPolicy default/reviews-callers  [LOOSENED]\n    Service default/reviews: no allow policy left, open to every caller\n');
  });

  it('adding a second allow policy to a target that has one lets more callers in: loosened', () => {
    const c = only(diffWith({ more: allow('reviews-more', ['reviews'], [REVIEWS_SA]) }));
    expect(c).toMatchObject({ change: 'added', effect: 'loosened' });
    expect(c.details).toEqual([]);
  });

  it('removing one of two allow policies on a target lets fewer callers in: tightened', () => {
    const base = { ...BASE, more: allow('reviews-more', ['reviews'], [REVIEWS_SA]) };
    expect(only(diffWith({ more: null }, base))).toMatchObject({ change: 'removed', effect: 'tightened' });
  });

  it('removing an allow policy that is the last one on one of its two targets: mixed (one target opens), not tightened', () => {
    // reviews keeps reviews-callers (fewer callers: tightened), but ratings loses its only
    // allow policy and opens to every caller: the change as a whole cannot be "tightened".
    const base = { ...BASE, both: allow('both', ['reviews', 'ratings'], [REVIEWS_SA]) };
    const c = only(diffWith({ both: null }, base));
    expect(c.change).toBe('removed');
    expect(c.effect).toBe('mixed');
  });

  it('adding an allow policy that is the first one on one of its two targets: mixed (one target closes), not loosened', () => {
    // reviews gains callers (loosened) but ratings, which had no allow policy, closes to
    // everyone else (tightened).
    const c = only(diffWith({ both: allow('both', ['reviews', 'ratings'], [REVIEWS_SA]) }));
    expect(c.change).toBe('added');
    expect(c.effect).toBe('mixed');
  });

  it('adding a deny policy: tightened; removing it: loosened', () => {
    expect(only(diffWith({ noDelete: deny('no-delete', 'reviews', ['DELETE']) }))).toMatchObject({ change: 'added', effect: 'tightened' });
    const base = { ...BASE, noDelete: deny('no-delete', 'reviews', ['DELETE']) };
    expect(only(diffWith({ noDelete: null }, base))).toMatchObject({ change: 'removed', effect: 'loosened' });
  });

  it('a deny rule that matches more requests: tightened', () => {
    const base = { ...BASE, noDelete: deny('no-delete', 'reviews', ['DELETE']) };
    const c = only(diffWith({ noDelete: deny('no-delete', 'reviews', ['DELETE', 'PUT']) }, base));
    expect(c).toMatchObject({ change: 'changed', effect: 'tightened', details: ['rules[0].to.methods: +PUT'] });
  });

  it('more excluded IP blocks on an allow rule: tightened; fewer: loosened', () => {
    const withNot = (blocks: string[]) =>
      doc('AccessPolicy', 'reviews-callers', `targetRefs: [{ kind: Service, name: reviews }]\naction: allow\nrules:\n  - from: { principals: [${PRODUCTPAGE}], notIpBlocks: [${blocks.join(', ')}] }`);
    const base = { ...BASE, reviewsCallers: withNot(['10.0.0.0/8']) };
    expect(only(diffWith({ reviewsCallers: withNot(['10.0.0.0/8', '192.168.0.0/16']) }, base)).effect).toBe('tightened');
    expect(only(diffWith({ reviewsCallers: withNot(['10.0.0.0/8']) }, { ...BASE, reviewsCallers: withNot(['10.0.0.0/8', '192.168.0.0/16']) })).effect).toBe('loosened');
  });

  it('principals added to an allow rule: loosened, shown as +principal', () => {
    const diff = diffWith({ reviewsCallers: allow('reviews-callers', ['reviews'], [PRODUCTPAGE, REVIEWS_SA]) });
    const c = only(diff);
    expect(c).toEqual({
      kind: 'AccessPolicy',
      id: 'default/reviews-callers',
      change: 'changed',
      details: [`rules[0].from.principals: +${REVIEWS_SA}`],
      effect: 'loosened',
    });
    expect(formatSemanticDiff(diff)).toContain(`~ AccessPolicy default/reviews-callers  [LOOSENED]\n    rules[0].from.principals: +${REVIEWS_SA}\n`);
  });

  it('principals removed from an allow rule: tightened', () => {
    const base = { ...BASE, reviewsCallers: allow('reviews-callers', ['reviews'], [PRODUCTPAGE, REVIEWS_SA]) };
    const c = only(diffWith({ reviewsCallers: allow('reviews-callers', ['reviews'], [PRODUCTPAGE]) }, base));
    expect(c).toMatchObject({ effect: 'tightened', details: [`rules[0].from.principals: -${REVIEWS_SA}`] });
  });

  it('RateLimit requests raised: loosened; lowered: tightened; longer period: tightened', () => {
    expect(only(diffWith({ ratingsLimit: rateLimit(200) }))).toMatchObject({ kind: 'RateLimit', id: 'default/ratings', change: 'changed', effect: 'loosened' });
    expect(only(diffWith({ ratingsLimit: rateLimit(50) }))).toMatchObject({ effect: 'tightened' });
    expect(only(diffWith({ ratingsLimit: rateLimit(100, '1m') }))).toMatchObject({ effect: 'tightened' });
  });

  it('RateLimit removed: loosened; added: tightened', () => {
    expect(only(diffWith({ ratingsLimit: null }))).toMatchObject({ change: 'removed', effect: 'loosened' });
    const { ratingsLimit: _limit, ...withoutLimit } = BASE;
    expect(only(diffWith({ ratingsLimit: rateLimit(100) }, withoutLimit))).toMatchObject({ change: 'added', effect: 'tightened' });
  });

  it('Authentication required → optional: loosened; optional → required: tightened', () => {
    const c = only(diffWith({ apiAuth: auth('optional') }));
    expect(c).toEqual({ kind: 'Authentication', id: 'default/api', change: 'changed', details: ['mode: required → optional'], effect: 'loosened' });
    expect(only(diffWith({ apiAuth: auth('required') }, { ...BASE, apiAuth: auth('optional') }))).toMatchObject({ effect: 'tightened' });
  });

  it('Mesh mTLS strict → permissive: loosened; back to strict: tightened', () => {
    const permissive = doc('Mesh', 'weft', 'mtls: { mode: permissive }');
    const diff = diffWith({ mesh: permissive });
    expect(only(diff)).toEqual({ kind: 'Mesh', id: 'mesh', change: 'changed', details: ['mtls.mode: strict → permissive'], effect: 'loosened' });
    expect(formatSemanticDiff(diff)).toContain('~ Mesh mesh  [LOOSENED]\n    mtls.mode: strict → permissive\n');
    expect(only(diffWith({ mesh: BASE.mesh as string }, { ...BASE, mesh: permissive }))).toMatchObject({ effect: 'tightened' });
  });
});

describe('semanticDiff: per-Service mTLS', () => {
  it('a Service opting out of strict mTLS is loosened; dropping the override again is tightened', () => {
    const permissive = doc('Service', 'api', 'port: 9101\nmtls: { mode: permissive }');
    expect(only(diffWith({ apiService: permissive }))).toMatchObject({ kind: 'Service', id: 'default/api', change: 'changed', effect: 'loosened' });
    expect(only(diffWith({ apiService: BASE.apiService as string }, { ...BASE, apiService: permissive }))).toMatchObject({ effect: 'tightened' });
    // Saying what the Mesh already says changes nothing a sidecar enforces.
    expect(only(diffWith({ apiService: doc('Service', 'api', 'port: 9101\nmtls: { mode: strict }') })).effect).toBeNull();
  });
});

describe('semanticDiff: summary and JSON', () => {
  const diff = diffWith({
    reviewsRoute: reviewsRoute(50, 50),
    apiRoute: null,
    apiAuth: null,
    apiService: null,
    reviewsCallers: null,
    noDelete: deny('no-delete', 'reviews', ['DELETE']),
    ratingsLimit: rateLimit(200),
  });

  it('counts added, removed, changed, loosened and tightened', () => {
    expect(diff.summary).toEqual({ added: 1, removed: 4, changed: 2, loosened: 3, tightened: 1 });
    expect(formatSemanticDiff(diff).endsWith('\n\n1 added, 4 removed, 2 changed; 3 loosened, 1 tightened\n')).toBe(true);
  });

  it('orders changes by kind (Mesh, Service, Route, Authentication, AccessPolicy, RateLimit) then id', () => {
    expect(diff.changes.map((c) => `${c.change} ${c.kind} ${c.id}`)).toEqual([
      'removed Service default/api',
      'removed Route default/api',
      'changed Route default/reviews',
      'removed Authentication default/api',
      'added AccessPolicy default/no-delete',
      'removed AccessPolicy default/reviews-callers',
      'changed RateLimit default/ratings',
    ]);
  });

  it('serializes as {changes: [{kind, id, change, details, effect}], summary}', () => {
    const json = JSON.parse(JSON.stringify(diff)) as unknown;
    expect(json).toEqual({
      changes: [
        { kind: 'Service', id: 'default/api', change: 'removed', details: [], effect: null },
        { kind: 'Route', id: 'default/api', change: 'removed', details: [], effect: null },
        { kind: 'Route', id: 'default/reviews', change: 'changed', details: ['~ rule default: weights: default/reviews/v1 90% → 50%, default/reviews/v3 10% → 50%'], effect: null },
        { kind: 'Authentication', id: 'default/api', change: 'removed', details: [], effect: 'loosened' },
        { kind: 'AccessPolicy', id: 'default/no-delete', change: 'added', details: [], effect: 'tightened' },
        { kind: 'AccessPolicy', id: 'default/reviews-callers', change: 'removed', details: ['Service default/reviews: no allow policy left, open to every caller'], effect: 'loosened' },
        { kind: 'RateLimit', id: 'default/ratings', change: 'changed', details: ['limits[0].burst: 100 → 200', 'limits[0].requests: 100 → 200'], effect: 'loosened' },
      ],
      summary: { added: 1, removed: 4, changed: 2, loosened: 3, tightened: 1 },
    });
  });
});
