// Status and proof of apply: data planes report what they applied (ACK) or refused (NACK);
// admins see every node, whether it converged on current, and which nodes went stale; and
// per version, which live nodes ACKed or NACKed it (what `weft push --wait` waits on).
import type { Hono } from 'hono';
import { authenticate } from '../auth/caller.ts';
import type { ControlEnv } from '../env.ts';
import { GATEWAY_NAMESPACE, GATEWAY_SERVICE } from '../gateway-rpc.ts';
import { HttpError } from '../http/http-error.ts';
import { readJsonBody } from '../http/read-body.ts';
import { controlState } from '../state/control-state.ts';
import type { NodeStatus } from '../state/node-status-store.ts';

type App = Hono<{ Bindings: ControlEnv }>;

const VERSION = /^[0-9a-f]{64}$/;
const NODE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Validates a status report; the identity fields come from the caller's SVID, never the body.
 * Only the gateway's own identity reports kind `gateway`: a workload calling itself a gateway
 * would count as an edge node in `weft status` and in what `weft push --wait` waits on.
 */
export function readStatusReport(body: Record<string, unknown>, caller: { spiffeId: string; namespace: string; service: string }): NodeStatus {
  const { nodeId, kind, appliedVersion, rejected, lastKnownGood, time } = body;
  if (typeof nodeId !== 'string' || !NODE_ID.test(nodeId)) throw new HttpError('bad_request', 'nodeId must be 1-128 characters of A-Z a-z 0-9 . _ : -');
  if (kind !== 'gateway' && kind !== 'sidecar') throw new HttpError('bad_request', 'kind must be "gateway" or "sidecar"');
  if (kind === 'gateway' && (caller.namespace !== GATEWAY_NAMESPACE || caller.service !== GATEWAY_SERVICE))
    throw new HttpError('reserved_identity',
      `kind "gateway" is reserved for the gateway's identity (ns/${GATEWAY_NAMESPACE}/sa/${GATEWAY_SERVICE}); ${caller.spiffeId} is a workload and reports kind "sidecar"`,
    );
  if (appliedVersion !== undefined && appliedVersion !== null && (typeof appliedVersion !== 'string' || !VERSION.test(appliedVersion)))
    throw new HttpError('bad_request', 'appliedVersion must be a snapshot version (64 hex characters) or null');
  let rejectedValue: NodeStatus['rejected'] = null;
  if (rejected !== undefined && rejected !== null) {
    const r = rejected as { version?: unknown; reason?: unknown };
    if (typeof r !== 'object' || typeof r.version !== 'string' || !VERSION.test(r.version) || typeof r.reason !== 'string')
      throw new HttpError('bad_request', 'rejected must be {version, reason}');
    rejectedValue = { version: r.version, reason: r.reason.slice(0, 2000) };
  }
  if (lastKnownGood !== undefined && typeof lastKnownGood !== 'boolean') throw new HttpError('bad_request', 'lastKnownGood must be a boolean');
  return {
    nodeId,
    kind,
    spiffeId: caller.spiffeId,
    service: `${caller.namespace}/${caller.service}`,
    appliedVersion: (appliedVersion as string | undefined) ?? null,
    rejected: rejectedValue,
    lastKnownGood: lastKnownGood ?? false,
    reportedAt: typeof time === 'string' ? time.slice(0, 64) : new Date().toISOString(),
    lastSeen: Date.now(),
  };
}

function present(n: NodeStatus, current: string | null, staleMs: number, now: number) {
  return {
    nodeId: n.nodeId,
    kind: n.kind,
    service: n.service,
    spiffeId: n.spiffeId,
    appliedVersion: n.appliedVersion,
    rejected: n.rejected,
    lastKnownGood: n.lastKnownGood,
    lastSeen: new Date(n.lastSeen).toISOString(),
    stale: now - n.lastSeen > staleMs,
    converged: current !== null && n.appliedVersion === current,
  };
}

export function registerStatusRoutes(app: App): void {
  app.post('/v1/status', async (c) => {
    const caller = await authenticate(c.req.raw, c.env, { workload: true });
    if (caller.kind !== 'workload') throw new HttpError('forbidden', 'status is reported by workloads');
    await controlState(c.env).reportStatus(readStatusReport(await readJsonBody(c.req.raw, 64 * 1024), caller));
    return c.body(null, 204);
  });

  app.get('/v1/status', async (c) => {
    await authenticate(c.req.raw, c.env, { admin: 'read' });
    const state = controlState(c.env);
    const current = (await state.currentSnapshot())?.version ?? null;
    const staleMs = Number(c.env.STATUS_STALE_AFTER_SECONDS) * 1000;
    const now = Date.now();
    const nodes = (await state.listStatus()).map((n) => present(n, current, staleMs, now)).sort((a, b) => (a.service + a.nodeId < b.service + b.nodeId ? -1 : 1));
    return c.json({ current, staleAfterSeconds: Number(c.env.STATUS_STALE_AFTER_SECONDS), nodes });
  });

  app.get('/v1/snapshot/:version/convergence', async (c) => {
    await authenticate(c.req.raw, c.env, { admin: 'read' });
    const version = c.req.param('version');
    if (!VERSION.test(version)) throw new HttpError('bad_request', 'a version is 64 lower-case hex characters');
    const state = controlState(c.env);
    if (!(await state.hasSnapshot(version))) throw new HttpError('unknown_version', `no snapshot ${version.slice(0, 12)} is stored`);
    const current = (await state.currentSnapshot())?.version ?? null;
    const staleMs = Number(c.env.STATUS_STALE_AFTER_SECONDS) * 1000;
    const now = Date.now();
    const live = (await state.listStatus()).filter((n) => now - n.lastSeen <= staleMs);
    const acked = live.filter((n) => n.appliedVersion === version).map((n) => ({ nodeId: n.nodeId, kind: n.kind, service: n.service, lastSeen: new Date(n.lastSeen).toISOString() }));
    const nacked = live.filter((n) => n.rejected?.version === version && n.appliedVersion !== version).map((n) => ({ nodeId: n.nodeId, kind: n.kind, service: n.service, reason: n.rejected?.reason ?? '' }));
    const pending = live.filter((n) => n.appliedVersion !== version && n.rejected?.version !== version).map((n) => ({ nodeId: n.nodeId, kind: n.kind, service: n.service, appliedVersion: n.appliedVersion }));
    return c.json({ version, current: version === current, liveNodes: live.length, acked, nacked, pending, converged: nacked.length === 0 && pending.length === 0 && live.length > 0 });
  });
}
