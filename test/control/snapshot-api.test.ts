// The snapshot API in workerd: push → get → 304 → long-poll wakes on push; invalid pushes
// change nothing; concurrent pushes cannot both win; dry run; history and rollback.
import { env, reset, SELF } from 'cloudflare:test';
import { beforeEach, describe, expect, it } from 'vitest';
import { verifySignedSnapshot } from '../../core/snapshot/verify.ts';
import { auth, BASE, currentVersion, getSnapshot, policyFiles, push, pushOk, READER } from './support.ts';

beforeEach(async () => {
  await reset();
});

async function trustBundle() {
  const res = await SELF.fetch(`${BASE}/.well-known/jwks.json`);
  expect(res.status).toBe(200);
  return (await res.json()) as { keys: [] };
}

describe('PUT /v1/snapshot and GET /v1/snapshot', () => {
  it('compiles, signs and serves the snapshot; ETag and If-None-Match give 304', async () => {
    const version = await pushOk(policyFiles(90));
    expect(version).toMatch(/^[0-9a-f]{64}$/);

    const res = await getSnapshot();
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toBe(`"${version}"`);
    expect(res.headers.get('content-type')).toBe('application/jose');
    const verified = await verifySignedSnapshot(await res.text(), await trustBundle());
    expect(verified.ok).toBe(true);
    if (!verified.ok) return;
    expect(verified.snapshot.version).toBe(version);
    expect(verified.snapshot.metadata.source).toEqual({ commit: 'abc123', author: 'dev@example.com' });
    expect(verified.snapshot.body.routes[0]?.rules[0]?.backends.map((b) => b.weight)).toEqual([90, 10]);

    const again = await getSnapshot({ 'if-none-match': `"${version}"` });
    expect(again.status).toBe(304);
    expect(again.headers.get('etag')).toBe(`"${version}"`);
  });

  it('mirrors the current signed snapshot to KV for the gateway', async () => {
    const version = await pushOk(policyFiles(90));
    const kv = env as unknown as { SNAPSHOTS: KVNamespace };
    const current = await kv.SNAPSHOTS.getWithMetadata<{ version: string }>('snapshot/current');
    expect(current.metadata?.version).toBe(version);
    expect(current.value).toBe(await (await getSnapshot()).text());
    expect(await kv.SNAPSHOTS.get(`snapshot/${version}`)).toBe(current.value);
  });

  it('answers 404 with the JSON error shape before anything is pushed', async () => {
    const res = await getSnapshot();
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 'nothing_pushed', message: 'nothing has been pushed yet' } });
  });

  it('a long poll answers as soon as a push changes current', async () => {
    const v1 = await pushOk(policyFiles(90));
    const waiting = getSnapshot({ 'if-none-match': `"${v1}"` }, '?wait=30');
    const v2 = await pushOk(policyFiles(50), { ifMatch: v1 });
    const res = await waiting;
    expect(res.status).toBe(200);
    expect(res.headers.get('weft-snapshot-version')).toBe(v2);
  });

  it('a long poll before anything was pushed waits for the first push', async () => {
    const waiting = getSnapshot({}, '?wait=30');
    const v1 = await pushOk(policyFiles(90));
    const res = await waiting;
    expect(res.status).toBe(200);
    expect(res.headers.get('weft-snapshot-version')).toBe(v1);
  });

  it('refuses a compiled snapshot: control signs only what it compiled itself', async () => {
    const res = await SELF.fetch(`${BASE}/v1/snapshot`, { method: 'PUT', headers: auth(), body: JSON.stringify({ snapshot: { body: { apiVersion: 'weft/v1', routes: 'nope' } } }) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain('not a compiled snapshot');
  });

  it('a long poll with no change ends with 304 at its timeout', async () => {
    const v1 = await pushOk(policyFiles(90));
    const res = await getSnapshot({ 'if-none-match': `"${v1}"` }, '?wait=1');
    expect(res.status).toBe(304);
  });

  it('rejects an invalid push with every error (422) and changes nothing', async () => {
    const v1 = await pushOk(policyFiles(90));
    const bad = policyFiles(90);
    bad['reviews.yaml'] = (bad['reviews.yaml'] as string).replace('subset: v1,', 'subset: v9,').replace('subset: v2,', 'subset: v8,');
    const res = await push(bad, { ifMatch: v1 });
    expect(res.status).toBe(422);
    const body = (await res.json()) as { error: { code: string; message: string; details: { lines: string[] } } };
    expect(body.error.code).toBe('invalid_policy');
    expect(body.error.details.lines).toEqual([
      'reviews.yaml:15:39: spec.rules[0].backends[0].subset: Service "default/reviews" has no subset "v9" (it has: v1, v2)',
      'reviews.yaml:16:39: spec.rules[0].backends[1].subset: Service "default/reviews" has no subset "v8" (it has: v1, v2)',
    ]);
    expect(await currentVersion()).toBe(v1);
  });

  it('rejects a Mesh whose trust domain differs from the CA', async () => {
    const files = policyFiles(90);
    files['mesh.yaml'] = (files['mesh.yaml'] as string).replace('weft.local', 'other.example');
    const res = await push(files);
    expect(res.status).toBe(422);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('trust_domain_mismatch');
    expect(await currentVersion()).toBe(null);
  });

  it('needs If-Match once a snapshot exists (428), and refuses a stale base (409)', async () => {
    const v1 = await pushOk(policyFiles(90));
    const missing = await push(policyFiles(50));
    expect(missing.status).toBe(428);
    const v2 = await pushOk(policyFiles(50), { ifMatch: v1 });
    const stale = await push(policyFiles(70), { ifMatch: v1 });
    expect(stale.status).toBe(409);
    expect(((await stale.json()) as { error: { code: string; details: { current: string } } }).error).toMatchObject({ code: 'conflict', details: { current: v2 } });
    expect(await currentVersion()).toBe(v2);
  });

  it('of two concurrent pushes based on the same version, exactly one wins', async () => {
    const v1 = await pushOk(policyFiles(90));
    const [a, b] = await Promise.all([push(policyFiles(50), { ifMatch: v1 }), push(policyFiles(70), { ifMatch: v1 })]);
    expect([a.status, b.status].sort()).toEqual([201, 409]);
    const winner = (await (a.status === 201 ? a : b).json()) as { version: string };
    expect(await currentVersion()).toBe(winner.version);
  });

  it('pushing the current policy again is a no-op (200, unchanged)', async () => {
    const v1 = await pushOk(policyFiles(90));
    const res = await push(policyFiles(90), { ifMatch: v1 });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ version: v1, unchanged: true });
  });

  it('a dry run returns the semantic diff and stores nothing', async () => {
    const v1 = await pushOk(policyFiles(90));
    const res = await push(policyFiles(50), { dryRun: true });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { dryRun: boolean; previous: string; diff: { changes: { kind: string; details: string[] }[] } };
    expect(body).toMatchObject({ dryRun: true, previous: v1 });
    expect(body.diff.changes).toEqual([
      expect.objectContaining({ kind: 'Route', details: ['~ rule rule-0: weights: default/reviews/v1 90% → 50%, default/reviews/v2 10% → 50%'] }),
    ]);
    expect(await currentVersion()).toBe(v1);
  });
});

describe('history and rollback', () => {
  it('lists pushes newest first and rolls back to a stored version', async () => {
    const v1 = await pushOk(policyFiles(90), { metadata: { commit: 'c1', message: 'canary 10%' } });
    const v2 = await pushOk(policyFiles(50), { ifMatch: v1, metadata: { commit: 'c2', message: 'canary 50%' } });
    const rb = await SELF.fetch(`${BASE}/v1/rollback`, { method: 'POST', headers: { ...auth(), 'content-type': 'application/json' }, body: JSON.stringify({ version: v1 }) });
    expect(rb.status).toBe(200);
    expect(await rb.json()).toEqual({ version: v1, previous: v2, unchanged: false });
    expect(await currentVersion()).toBe(v1);

    const hist = await SELF.fetch(`${BASE}/v1/snapshots`, { headers: auth(READER) });
    const body = (await hist.json()) as { current: string; history: { version: string; action: string; previous: string | null; metadata: { source?: { message?: string } } }[] };
    expect(body.current).toBe(v1);
    expect(body.history.map((h) => [h.action, h.version, h.previous])).toEqual([
      ['rollback', v1, v2],
      ['push', v2, v1],
      ['push', v1, null],
    ]);
    expect(body.history[1]?.metadata.source?.message).toBe('canary 50%');
  });

  it('a rollback re-signs the old snapshot with the key active today', async () => {
    const app = (await import('../../control/index.ts')).default;
    const { generateSigningKeyPair } = await import('../../core/keys/signing-key.ts');
    const { decodeProtectedHeader } = await import('jose');
    const base = env as unknown as Record<string, string>;
    const v1 = await pushOk(policyFiles(90));
    await pushOk(policyFiles(50), { ifMatch: (await currentVersion()) ?? '' });
    const fresh = await generateSigningKeyPair('ES256');
    const old = JSON.parse(base.SIGNING_KEYS as string) as object[];
    const rotated = { ...base, SIGNING_KEYS: JSON.stringify([{ ...old[0], status: 'retiring' }, { ...fresh.privateJwk, status: 'active' }]) };
    const ctx = { waitUntil() {}, passThroughOnException() {} } as unknown as ExecutionContext;
    const rb = await app.fetch(new Request(`${BASE}/v1/rollback`, { method: 'POST', headers: auth(), body: JSON.stringify({ version: v1 }) }), rotated, ctx);
    expect(rb.status).toBe(200);
    const jws = await (await getSnapshot()).text();
    expect(decodeProtectedHeader(jws).kid).toBe(fresh.publicJwk.kid);
    expect((await verifySignedSnapshot(jws, { keys: [fresh.publicJwk] })).ok).toBe(true);
  });

  it('refuses a rollback to an unknown version (404) or a malformed one (400)', async () => {
    await pushOk(policyFiles(90));
    const post = (version: unknown) => SELF.fetch(`${BASE}/v1/rollback`, { method: 'POST', headers: auth(), body: JSON.stringify({ version }) });
    expect((await post('f'.repeat(64))).status).toBe(404);
    expect((await post('nope')).status).toBe(400);
  });
});

describe('errors a user can cause', () => {
  it('401 without or with a wrong token, 403 for the read role on a write', async () => {
    const none = await SELF.fetch(`${BASE}/v1/snapshot`, { method: 'PUT', body: '{}' });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toContain('Bearer');
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe('unauthenticated');
    expect((await push(policyFiles(), { token: 'wat_wrong' })).status).toBe(401);
    const reader = await push(policyFiles(), { token: READER });
    expect(reader.status).toBe(403);
    expect(await reader.json()).toEqual({ error: { code: 'forbidden', message: 'this token has the read role; the call needs admin' } });
  });

  it('400 for malformed JSON or an unknown body shape, 413 over the size limit', async () => {
    const put = (body: string) => SELF.fetch(`${BASE}/v1/snapshot`, { method: 'PUT', headers: auth(), body });
    const bad = await put('{not json');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('bad_json');
    expect((await put('{"yaml": "x"}')).status).toBe(400);
    expect((await put('[1,2]')).status).toBe(400);
    const big = await put(JSON.stringify({ files: { 'a.yaml': 'x'.repeat(6 * 1024 * 1024) } }));
    expect(big.status).toBe(413);
    expect(((await big.json()) as { error: { code: string } }).error.code).toBe('body_too_large');
  });

  it('404 JSON for unknown endpoints', async () => {
    const res = await SELF.fetch(`${BASE}/v2/whatever`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 'not_found', message: 'no such endpoint; see docs/control-api.md' } });
  });
});
