// The gateway's view of policy: the current verified snapshot, per isolate. KV is checked
// for a new version at most every SNAPSHOT_CHECK_SECONDS (never per request, and never
// blocking a request once a snapshot is held); a new version goes once through snapshot
// acceptance (core/snapshot/accept.ts, the sidecar's too). Applied: ACK. Refused: NACK, and
// the last good one stays in force.
import { acceptSnapshot } from '../../core/snapshot/accept.ts';
import type { SnapshotRefusal } from '../../core/snapshot/accept.ts';
import type { SnapshotRuntime } from '../../core/runtime/snapshot-runtime.ts';
import type { GatewayEnv } from '../env.ts';
import { checkIntervalMs, PeriodicRefresh } from './periodic-refresh.ts';
import { refreshTrustBundle, trustBundle } from './trust-bundle.ts';

// Made on first use: Workers forbid random values (and I/O) in global scope.
let isolateId: string | undefined;

interface HolderState {
  runtime: SnapshotRuntime | undefined;
  /** The version KV lists that was looked at and not applied (refused, or the one in force): not fetched again. */
  settled: string | undefined;
}

const state: HolderState = { runtime: undefined, settled: undefined };

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

/** Control marks a node stale when it stops reporting: re-report at least this often. */
const HEARTBEAT_MS = 20_000;
let lastReport = 0;

async function apply(env: GatewayEnv, runtime: SnapshotRuntime): Promise<void> {
  state.runtime = runtime;
  state.settled = undefined;
  log({ level: 'info', msg: 'snapshot applied', version: runtime.version });
  // The ACK names the version of the body that verified (KV's listing may lag behind its value).
  await report(env, { appliedVersion: runtime.version });
}

async function refuse(env: GatewayEnv, listed: string, refusal: SnapshotRefusal): Promise<void> {
  const version = refusal.version ?? listed;
  if (refusal.retryable) {
    // No verdict (control could not be asked for the key): the next check looks again.
    log({ level: 'warn', msg: 'snapshot not checked yet; keeping the one in force', version, code: refusal.code, reason: refusal.message, inForce: state.runtime?.version ?? null });
    return;
  }
  state.settled = listed;
  log({ level: 'error', msg: 'snapshot refused; keeping the last good one', version, code: refusal.code, reason: refusal.message, inForce: state.runtime?.version ?? null });
  await report(env, { appliedVersion: state.runtime?.version ?? null, rejected: { version, reason: `${refusal.code}: ${refusal.message}` } });
}

async function refreshFromKv(env: GatewayEnv): Promise<void> {
  const listed = await env.SNAPSHOTS.list<{ version?: string }>({ prefix: 'snapshot/current', limit: 1 });
  const version = listed.keys.find((k) => k.name === 'snapshot/current')?.metadata?.version;
  if (!version || version === state.runtime?.version || version === state.settled) {
    if (state.runtime && Date.now() - lastReport > HEARTBEAT_MS) await report(env, { appliedVersion: state.runtime.version });
    return;
  }
  const jws = await env.SNAPSHOTS.get('snapshot/current');
  if (!jws) return;
  const bundle = await trustBundle(env);
  const result = await acceptSnapshot(jws, { bundle: bundle.keys, refreshBundle: () => refreshTrustBundle(env), trustDomain: bundle.trustDomain, current: state.runtime });
  if ('applied' in result) return apply(env, result.applied);
  if ('refused' in result) return refuse(env, version, result.refused);
  // Unchanged: KV lists another version than its body, which is the one in force.
  state.settled = version;
}

const refresher = new PeriodicRefresh((e) => log({ level: 'error', msg: 'snapshot check failed; keeping the current one', error: String(e) }));

/** The snapshot in force; a promise only while an isolate's first load is under way (periodic-refresh.ts). */
export function currentSnapshot(env: GatewayEnv, ctx: ExecutionContext): SnapshotRuntime | undefined | Promise<SnapshotRuntime | undefined> {
  const first = refresher.tick(checkIntervalMs(env.SNAPSHOT_CHECK_SECONDS), state.runtime !== undefined, ctx, () => refreshFromKv(env));
  return first ? first.then(() => state.runtime) : state.runtime;
}
