// A backend Service's SPIFFE ID, the audience of the tokens the gateway sends it (its own
// JWT-SVID and the edge token). Formatted once per compiled Service: a new snapshot brings new
// Service objects (and maybe a new trust domain), so the old entries fall away with it.
import { formatSpiffeId } from '../../core/identity/spiffe-id.ts';
import type { CompiledService } from '../../core/policy/service/compile.ts';
import type { SnapshotRuntime } from '../../core/runtime/snapshot-runtime.ts';

const audiences = new WeakMap<CompiledService, string>();

export function serviceAudience(runtime: SnapshotRuntime, service: CompiledService): string {
  let audience = audiences.get(service);
  if (audience === undefined) audiences.set(service, (audience = formatSpiffeId(runtime.snapshot.body.mesh.trustDomain, service.namespace, service.name)));
  return audience;
}
