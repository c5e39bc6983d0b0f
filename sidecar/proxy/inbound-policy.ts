// Inbound stages 2–3: access policy and local rate limits for this workload. Policies attach
// to this workload's Service and to the mesh Route rule the request matches (the caller's
// sidecar routed it by the same rules), so both are targets. The request view is the
// gateway's (gateway/pipeline/authorize.ts) with the caller's SPIFFE ID as `principal`.
// Rate limits count per proxy (`local`); a `global` limit needs the gateway's shared store
// and is not counted here.
import type { IncomingMessage } from 'node:http';
import { meshHost } from '../../core/compile/route-table.ts';
import { effectiveMtlsMode } from '../../core/policy/service/mtls-mode.ts';
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
  runtime: SnapshotRuntime;
  serviceTarget: CompiledTarget;
  /** Whether anything at all applies to this workload (else skip the stage). */
  anyAccess: boolean;
  anyLimits: boolean;
  /** The Service's mTLS mode (its own, else the Mesh's) is strict. */
  strict: boolean;
  /** The local rate limits per matched route id ('' = no route: the Service's alone). */
  localLimits: Map<string, readonly ApplicableLimit[]>;
}

export class InboundPolicy {
  readonly #serviceId: string;
  readonly #host: string;
  readonly #counters = new MemoryCounterStore();
  #perSnapshot: PerSnapshot | undefined;

  constructor(serviceId: string) {
    this.#serviceId = serviceId;
    this.#host = meshHost(serviceId);
  }

  /** What depends only on the snapshot and this workload's Service, worked out once per snapshot. */
  #prepared(runtime: SnapshotRuntime): PerSnapshot {
    let p = this.#perSnapshot;
    if (p?.runtime !== runtime) {
      const serviceId = this.#serviceId;
      const body = runtime.snapshot.body;
      const mine = (t: CompiledTarget) => (t.kind === 'Service' ? t.id === serviceId : body.routes.some((r) => r.id === t.id && r.meshServices.includes(serviceId)));
      p = {
        runtime,
        serviceTarget: { kind: 'Service', id: serviceId },
        anyAccess: body.accessPolicies.some((a) => a.targets.some(mine)),
        anyLimits: body.rateLimits.some((l) => l.targets.some(mine)),
        strict: effectiveMtlsMode(body.mesh, runtime.services.get(serviceId)) === 'strict',
        localLimits: new Map(),
      };
      this.#perSnapshot = p;
    }
    return p;
  }

  /** Whether this workload's inbound mTLS mode is strict under `runtime`'s snapshot. */
  strict(runtime: SnapshotRuntime): boolean {
    return this.#prepared(runtime).strict;
  }

  async check(runtime: SnapshotRuntime, req: IncomingMessage, path: string, query: string, caller: CallerIdentity): Promise<PolicyVerdict> {
    const p = this.#prepared(runtime);
    const method = (req.method ?? 'GET').toUpperCase();
    const headers = headerView(req);
    const host = this.#host;
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
    const routeId = found ? found.route.id : '';
    let limits = p.localLimits.get(routeId);
    if (limits === undefined) p.localLimits.set(routeId, (limits = runtime.rateLimits(targets).filter((l) => l.limit.scope === 'local')));
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
