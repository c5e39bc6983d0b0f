// Inbound stages 2–3: access policy and local rate limits for this workload. Policies attach
// to this workload's Service and to the mesh Route rule the request matches (the caller's
// sidecar routed it by the same rules), so both are targets. The request view is the
// gateway's (gateway/pipeline/authorize.ts) with the caller's SPIFFE ID as `principal`.
// Rate limits count per proxy (`local`); a `global` limit needs the gateway's shared store
// and is not counted here.
import type { IncomingMessage } from 'node:http';
import { meshHost } from '../../core/compile/route-table.ts';
import type { CompiledTarget } from '../../core/policy/shared/resolve-targets.ts';
import { MemoryCounterStore } from '../../core/ratelimit/memory-counter-store.ts';
import { checkRateLimits } from '../../core/ratelimit/rate-limit.ts';
import type { ApplicableLimit } from '../../core/ratelimit/rate-limit.ts';
import type { SnapshotRuntime } from '../../core/runtime/snapshot-runtime.ts';
import type { CallerIdentity } from './inbound-identity.ts';
import { headerView } from './request-log.ts';

export type PolicyVerdict =
  | { ok: true; headers: Record<string, string>; route: string | null }
  | { ok: false; status: number; code: string; message: string; headers: Record<string, string>; route: string | null; policy?: string };

interface PerSnapshot {
  serviceTarget: CompiledTarget;
  /** Whether anything at all applies to this workload (else skip the stage). */
  anyAccess: boolean;
  anyLimits: boolean;
}

const perSnapshot = new WeakMap<SnapshotRuntime, PerSnapshot>();

function prepared(runtime: SnapshotRuntime, serviceId: string): PerSnapshot {
  let p = perSnapshot.get(runtime);
  if (!p) {
    const body = runtime.snapshot.body;
    const mine = (t: CompiledTarget) => (t.kind === 'Service' ? t.id === serviceId : body.routes.some((r) => r.id === t.id && r.meshServices.includes(serviceId)));
    p = {
      serviceTarget: { kind: 'Service', id: serviceId },
      anyAccess: body.accessPolicies.some((a) => a.targets.some(mine)),
      anyLimits: body.rateLimits.some((l) => l.targets.some(mine)),
    };
    perSnapshot.set(runtime, p);
  }
  return p;
}

export class InboundPolicy {
  readonly #serviceId: string;
  readonly #counters = new MemoryCounterStore();

  constructor(serviceId: string) {
    this.#serviceId = serviceId;
  }

  async check(runtime: SnapshotRuntime, req: IncomingMessage, path: string, query: string, caller: CallerIdentity): Promise<PolicyVerdict> {
    const p = prepared(runtime, this.#serviceId);
    const method = (req.method ?? 'GET').toUpperCase();
    const headers = headerView(req);
    const host = meshHost(this.#serviceId);
    let params: URLSearchParams | undefined;
    const hit = runtime.mesh.match({ host, path, method, headers, query: { get: (n) => (params ??= new URLSearchParams(query)).get(n) } });
    const found = hit && runtime.rule(hit.target);
    const route = found ? `Route:${found.route.id}#${found.rule.name}` : null;
    const targets: CompiledTarget[] = found ? [p.serviceTarget, { kind: 'Route', id: found.route.id }] : [p.serviceTarget];
    if (p.anyAccess) {
      const decision = runtime.access.decide(targets, {
        principal: caller.peer,
        requestPrincipal: caller.user?.requestPrincipal ?? null,
        clientIp: req.socket.remoteAddress ?? null,
        host,
        method,
        path,
        headers,
        claims: caller.user?.claims ?? null,
      });
      if (!decision.allowed) return { ok: false, status: 403, code: 'access_denied', message: `denied by AccessPolicy ${decision.policy}: ${decision.reason}`, headers: {}, route };
    }
    if (!p.anyLimits) return { ok: true, headers: {}, route };
    const limits: ApplicableLimit[] = runtime.rateLimits(targets).filter((l) => l.limit.scope === 'local');
    if (limits.length === 0) return { ok: true, headers: {}, route };
    const outcome = await checkRateLimits(
      limits,
      { clientIp: req.socket.remoteAddress ?? null, apiKey: null, principal: caller.peer, requestPrincipal: caller.user?.requestPrincipal ?? null, headers, claims: caller.user?.claims ?? null },
      { local: this.#counters, global: this.#counters },
      Date.now(),
    );
    if (outcome.allowed) return { ok: true, headers: outcome.headers, route };
    const by = outcome.deniedBy;
    return { ok: false, status: 429, code: 'rate_limited', message: `rate limit ${by?.limit ?? ''} of ${by?.policy ?? ''} exceeded`, headers: outcome.headers, route, ...(by ? { policy: by.policy } : {}) };
  }
}
