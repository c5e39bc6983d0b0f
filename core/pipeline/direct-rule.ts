// The implicit rule for a known service that no mesh route governs: all traffic straight to
// the service, under the Mesh's default timeout, retries and body limit and the default
// WebSocket limits. Built once per snapshot and service.
import { DEFAULT_TUNNEL_LIMITS } from '../http/websocket-upgrade.ts';
import type { CompiledRule } from '../policy/route/compile.ts';
import { clampPerTryTimeout } from '../resilience/deadline.ts';
import type { SnapshotRuntime } from '../runtime/snapshot-runtime.ts';

const NO_OPS = { set: {}, add: {}, remove: [] };

const defaultRules = new WeakMap<SnapshotRuntime, Map<string, CompiledRule>>();

export function directRule(runtime: SnapshotRuntime, serviceId: string): CompiledRule {
  let rules = defaultRules.get(runtime);
  if (!rules) defaultRules.set(runtime, (rules = new Map()));
  let rule = rules.get(serviceId);
  if (!rule) {
    const defaults = runtime.snapshot.body.mesh.defaults;
    rule = {
      name: 'direct',
      matches: [],
      backends: [{ service: serviceId, subset: null, port: null, weight: 1, requestHeaders: NO_OPS, responseHeaders: NO_OPS }],
      redirect: null,
      rewrite: null,
      requestHeaders: NO_OPS,
      responseHeaders: NO_OPS,
      mirrors: [],
      timeoutMs: defaults.timeoutMs,
      retries: { ...defaults.retries, perTryTimeoutMs: clampPerTryTimeout(defaults.retries.perTryTimeoutMs, defaults.timeoutMs) },
      maxRequestBytes: defaults.maxRequestBytes,
      fault: null,
      cors: null,
      websocket: { ...DEFAULT_TUNNEL_LIMITS },
    };
    rules.set(serviceId, rule);
  }
  return rule;
}
