// The gateway's view of policy: the current verified snapshot, per isolate. KV is checked
// for a new version at most every SNAPSHOT_CHECK_SECONDS (never per request, and never
// blocking a request once a snapshot is held); a new version is verified once and compiled
// once. A bad one is refused and reported (NACK); the last good one stays in force.
import type { JSONWebKeySet } from 'jose';
import { buildSnapshotRuntime } from '../../core/runtime/snapshot-runtime.ts';
import type { SnapshotRuntime } from '../../core/runtime/snapshot-runtime.ts';
import { replayProblem, verifySignedSnapshot } from '../../core/snapshot/verify.ts';
import type { GatewayEnv } from '../env.ts';
import { checkIntervalMs, PeriodicRefresh } from './periodic-refresh.ts';

// Made on first use: Workers forbid random values (and I/O) in global scope.
let isolateId: string | undefined;

interface HolderState {
  runtime: SnapshotRuntime | undefined;
  rejected: string | undefined;
  bundle: JSONWebKeySet | undefined;
}

const state: HolderState = { runtime: undefined, rejected: undefined, bundle: undefined };

function log(fields: Record<string, unknown>): void {
  console.log(JSON.stringify({ component: 'gateway.snapshot', ...fields }));
}

export function nodeId(env: GatewayEnv): string {
  isolateId ??= Array.from(crypto.getRandomValues(new Uint8Array(4)), (b) => b.toString(16).padStart(2, '0')).join('');
  return env.GATEWAY_NODE_ID ?? `gateway-${isolateId}`;
}

async function report(env: GatewayEnv, fields: { appliedVersion: string | null; rejected?: { version: string; reason: string } }): Promise<void> {
  lastReport = Date.now();
  try {
    await env.CONTROL.reportGatewayStatus({ nodeId: nodeId(env), ...fields, lastKnownGood: fields.rejected !== undefined && fields.appliedVersion !== null, time: new Date().toISOString() });
  } catch (e) {
    // Control being down must not affect traffic; the next change reports again.
    log({ level: 'warn', msg: 'status report failed', error: String(e) });
  }
}

/** The trust bundle from control, cached per isolate; `refresh` after an unknown key (rotation). */
async function trustBundle(env: GatewayEnv, refresh: boolean): Promise<JSONWebKeySet> {
  if (!state.bundle || refresh) state.bundle = await env.CONTROL.trustBundle();
  return state.bundle;
}

/**
 * Verifies a signed document against the cached trust bundle. A key the bundle does not know
 * may be a rotation: then the bundle is fetched once more and the document verified again.
 */
export async function verifyWithTrustBundle<R extends { ok: boolean; code?: string }>(env: GatewayEnv, verify: (bundle: JSONWebKeySet) => Promise<R>): Promise<R> {
  const first = await verify(await trustBundle(env, false));
  return !first.ok && first.code === 'unknown_key' ? verify(await trustBundle(env, true)) : first;
}

/** Control marks a node stale when it stops reporting: re-report at least this often. */
const HEARTBEAT_MS = 20_000;
let lastReport = 0;

async function reject(env: GatewayEnv, version: string, code: string, message: string): Promise<void> {
  state.rejected = version;
  log({ level: 'error', msg: 'snapshot refused; keeping the last good one', version, code, reason: message, inForce: state.runtime?.version ?? null });
  await report(env, { appliedVersion: state.runtime?.version ?? null, rejected: { version, reason: `${code}: ${message}` } });
}

async function refreshFromKv(env: GatewayEnv): Promise<void> {
  const listed = await env.SNAPSHOTS.list<{ version?: string }>({ prefix: 'snapshot/current', limit: 1 });
  const version = listed.keys.find((k) => k.name === 'snapshot/current')?.metadata?.version;
  if (!version || version === state.runtime?.version || version === state.rejected) {
    if (state.runtime && Date.now() - lastReport > HEARTBEAT_MS) await report(env, { appliedVersion: state.runtime.version });
    return;
  }
  const jws = await env.SNAPSHOTS.get('snapshot/current');
  if (!jws) return;
  const verified = await verifyWithTrustBundle(env, (bundle) => verifySignedSnapshot(jws, bundle));
  if (!verified.ok) return reject(env, version, verified.code, verified.message);
  // The body just verified names its own version (KV's listing may lag behind its value).
  const applied = verified.snapshot.version;
  // Never go back in time: an older signed snapshot copied into KV is a replay.
  const replay = replayProblem(verified.snapshot, state.runtime?.snapshot);
  if (replay) return reject(env, applied, 'older_than_current', replay);
  try {
    state.runtime = buildSnapshotRuntime(verified.snapshot);
  } catch (e) {
    return reject(env, applied, 'unusable', `the snapshot verified but cannot be applied: ${(e as Error).message}`);
  }
  state.rejected = undefined;
  log({ level: 'info', msg: 'snapshot applied', version: applied });
  await report(env, { appliedVersion: applied });
}

const refresher = new PeriodicRefresh((e) => log({ level: 'error', msg: 'snapshot check failed; keeping the current one', error: String(e) }));

/** The snapshot in force (see periodic-refresh.ts for when KV is read). */
/** The snapshot in force; a promise only while an isolate's first load is under way. */
export function currentSnapshot(env: GatewayEnv, ctx: ExecutionContext): SnapshotRuntime | undefined | Promise<SnapshotRuntime | undefined> {
  const first = refresher.tick(checkIntervalMs(env.SNAPSHOT_CHECK_SECONDS), state.runtime !== undefined, ctx, () => refreshFromKv(env));
  return first ? first.then(() => state.runtime) : state.runtime;
}
