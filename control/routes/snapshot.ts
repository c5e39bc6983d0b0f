// Snapshot API: push (validate, compile, sign, store, move current with If-Match), dry run
// (semantic diff, nothing stored), read with ETag / If-None-Match / long-poll, history and
// rollback. See docs/control-api.md.
import type { Hono } from 'hono';
import { semanticDiff } from '../../core/diff/semantic-diff.ts';
import { signSnapshot } from '../../core/snapshot/sign.ts';
import type { Snapshot } from '../../core/snapshot/types.ts';
import { authenticate } from '../auth/caller.ts';
import type { ControlEnv } from '../env.ts';
import { maxBodyBytes } from '../env.ts';
import { etag, versionFromHeader, waitSeconds } from '../http/conditional.ts';
import { HttpError } from '../http/http-error.ts';
import { readJsonBody } from '../http/read-body.ts';
import { authority } from '../keys/authority.ts';
import { controlState } from '../state/control-state.ts';
import { readPushInput } from './push-input.ts';
import { snapshotFromJws } from './snapshot-payload.ts';

type App = Hono<{ Bindings: ControlEnv }>;

const VERSION = /^[0-9a-f]{64}$/;

function jwsResponse(jws: string, version: string): Response {
  return new Response(jws, { headers: { 'content-type': 'application/jose', etag: etag(version), 'weft-snapshot-version': version, 'cache-control': 'no-store' } });
}

function notModified(version: string): Response {
  return new Response(null, { status: 304, headers: { etag: etag(version), 'weft-snapshot-version': version } });
}

/** The base a push or rollback claims (If-Match); required once a current snapshot exists. */
function expectedBase(request: Request, current: string | null): string | null {
  const named = versionFromHeader(request.headers.get('if-match'));
  if (named === undefined) {
    if (current === null) return null;
    throw new HttpError('precondition_required', `name the version your change is based on: If-Match: "${current}" (the current version), so a concurrent push cannot be overwritten`);
  }
  if (named !== current)
    throw new HttpError('conflict', `current is ${current?.slice(0, 12) ?? 'empty'}, but this change is based on ${named.slice(0, 12)}; fetch, rebase and push again`, { current });
  return named;
}

export function registerSnapshotRoutes(app: App): void {
  app.put('/v1/snapshot', async (c) => {
    await authenticate(c.req.raw, c.env, { admin: 'admin' });
    const input = await readPushInput(await readJsonBody(c.req.raw, maxBodyBytes(c.env)));
    const auth = await authority(c.env);
    if (input.body.mesh.trustDomain !== auth.trustDomain)
      throw new HttpError('trust_domain_mismatch', `Mesh trustDomain "${input.body.mesh.trustDomain}" does not match this control plane's CA ("${auth.trustDomain}")`);
    const state = controlState(c.env);
    const cur = await state.currentSnapshot();
    const currentVersion = cur?.version ?? null;
    const previous = currentVersion ? await state.getSnapshot(currentVersion) : undefined;
    const diff = semanticDiff(previous ? snapshotFromJws(previous.jws).body : { ...input.body, services: [], routes: [], authentications: [], accessPolicies: [], rateLimits: [] }, input.body);

    if (c.req.query('dryRun') === '1' || c.req.query('dryRun') === 'true')
      return c.json({ dryRun: true, version: input.version, previous: currentVersion, unchanged: input.version === currentVersion, diff, warnings: input.warnings });

    const expected = expectedBase(c.req.raw, currentVersion);
    if (input.version === currentVersion) return c.json({ version: input.version, previous: currentVersion, unchanged: true, diff, warnings: input.warnings }, 200);
    const metadata = { createdAt: new Date().toISOString(), ...(Object.keys(input.source).length > 0 ? { source: input.source } : {}) };
    const snapshot: Snapshot = { version: input.version, metadata, body: input.body };
    const jws = await signSnapshot(snapshot, auth.keys.active);
    const result = await state.commitSnapshot({ version: input.version, jws, metadata, expected, action: 'push' });
    if (!result.ok) throw new HttpError('conflict', `current moved to ${result.current?.slice(0, 12) ?? 'empty'} while this push was applied; fetch, rebase and push again`, { current: result.current });
    return c.json({ version: input.version, previous: result.previous, unchanged: false, diff, warnings: input.warnings }, 201, { etag: etag(input.version) });
  });

  app.get('/v1/snapshot', async (c) => {
    await authenticate(c.req.raw, c.env, { admin: 'read', workload: true });
    const state = controlState(c.env);
    const known = versionFromHeader(c.req.header('if-none-match')) ?? null;
    const wait = waitSeconds(c.req.query('wait'));
    let version = (await state.currentSnapshot())?.version ?? null;
    if (version === known && wait > 0) version = (await state.waitForSnapshot(known, wait * 1000)) ?? version;
    if (version === null) throw new HttpError('nothing_pushed', 'nothing has been pushed yet');
    if (version === known) return notModified(version);
    const snap = await state.getSnapshot(version);
    if (!snap) throw new HttpError('storage', `current version ${version} is missing from storage`);
    return jwsResponse(snap.jws, version);
  });

  app.get('/v1/snapshot/:version', async (c) => {
    await authenticate(c.req.raw, c.env, { admin: 'read', workload: true });
    const version = c.req.param('version');
    if (!VERSION.test(version)) throw new HttpError('bad_request', 'a version is 64 lower-case hex characters');
    const snap = await controlState(c.env).getSnapshot(version);
    if (!snap) throw new HttpError('unknown_version', `no snapshot ${version.slice(0, 12)} is stored`);
    return jwsResponse(snap.jws, version);
  });

  app.get('/v1/snapshots', async (c) => {
    await authenticate(c.req.raw, c.env, { admin: 'read' });
    const limit = Math.min(Math.max(Number(c.req.query('limit') ?? '50') || 50, 1), 200);
    const state = controlState(c.env);
    return c.json({ current: (await state.currentSnapshot())?.version ?? null, history: await state.history(limit) });
  });

  app.post('/v1/rollback', async (c) => {
    await authenticate(c.req.raw, c.env, { admin: 'admin' });
    const body = await readJsonBody(c.req.raw, maxBodyBytes(c.env));
    const version = body.version;
    if (typeof version !== 'string' || !VERSION.test(version)) throw new HttpError('bad_request', 'expected {"version": "<64 hex characters>"}');
    const state = controlState(c.env);
    const target = await state.getSnapshot(version);
    if (!target) throw new HttpError('unknown_version', `no snapshot ${version.slice(0, 12)} is stored; see GET /v1/snapshots`);
    const currentVersion = (await state.currentSnapshot())?.version ?? null;
    const expected = c.req.header('if-match') ? expectedBase(c.req.raw, currentVersion) : currentVersion;
    if (version === currentVersion) return c.json({ version, previous: currentVersion, unchanged: true }, 200, { etag: etag(version) });
    // Re-signed with today's active key (the key that signed it then may have been retired),
    // and stamped now: data planes refuse a snapshot older than the one they hold, so an old
    // signed copy replayed into KV cannot roll policy back; only control can.
    const old = snapshotFromJws(target.jws);
    const metadata = { ...old.metadata, createdAt: new Date().toISOString() };
    const jws = await signSnapshot({ ...old, metadata }, (await authority(c.env)).keys.active);
    const result = await state.commitSnapshot({ version, jws, metadata, expected, action: 'rollback' });
    if (!result.ok) throw new HttpError('conflict', 'current moved during the rollback; try again', { current: result.current });
    return c.json({ version, previous: result.previous, unchanged: false }, 200, { etag: etag(version) });
  });
}
