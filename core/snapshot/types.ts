// The snapshot: the compiled, canonical policy every data plane enforces. `version` is the
// SHA-256 of the canonical `body`; `metadata` (who, when, which commit) is signed with it but
// not hashed into the version, so the same policy compiled twice has the same version.
import type { CompiledAccessPolicy } from '../policy/access-policy/compile.ts';
import type { CompiledAuthentication } from '../policy/authentication/compile.ts';
import type { CompiledMesh } from '../policy/mesh/compile.ts';
import type { CompiledRateLimit } from '../policy/rate-limit/compile.ts';
import type { CompiledRoute } from '../policy/route/compile.ts';
import type { CompiledService } from '../policy/service/compile.ts';

export const SNAPSHOT_API_VERSION = 'weft/v1';

export interface SnapshotBody {
  apiVersion: typeof SNAPSHOT_API_VERSION;
  mesh: CompiledMesh;
  services: CompiledService[];
  routes: CompiledRoute[];
  authentications: CompiledAuthentication[];
  accessPolicies: CompiledAccessPolicy[];
  rateLimits: CompiledRateLimit[];
}

export interface SnapshotMetadata {
  createdAt: string;
  source?: { commit?: string; author?: string; message?: string };
}

export interface Snapshot {
  version: string;
  metadata: SnapshotMetadata;
  body: SnapshotBody;
}
