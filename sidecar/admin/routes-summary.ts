// The mesh routes of a snapshot in brief, for /config: which routes this sidecar enforces
// inbound (its own service is among their mesh services) and which it can take outbound.
import type { SnapshotRuntime } from '../../core/runtime/snapshot-runtime.ts';

export interface RouteSummary {
  id: string;
  services: string[];
  rules: { name: string; backends: string[]; timeoutMs: number; retries: number }[];
}

export function meshRoutesSummary(runtime: SnapshotRuntime, selfService: string): { inbound: RouteSummary[]; outbound: RouteSummary[] } {
  const inbound: RouteSummary[] = [];
  const outbound: RouteSummary[] = [];
  for (const route of runtime.snapshot.body.routes) {
    if (route.meshServices.length === 0) continue;
    const summary: RouteSummary = {
      id: route.id,
      services: route.meshServices,
      rules: route.rules.map((r) => ({
        name: r.name,
        backends: r.backends.map((b) => `${b.service}${b.subset ? `:${b.subset}` : ''}${b.port ? `@${b.port}` : ''} w${b.weight}`),
        timeoutMs: r.timeoutMs,
        retries: r.retries.attempts,
      })),
    };
    if (route.meshServices.includes(selfService)) inbound.push(summary);
    else outbound.push(summary);
  }
  return { inbound, outbound };
}
