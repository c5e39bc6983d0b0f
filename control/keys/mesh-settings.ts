// Identity lifetimes come from the current snapshot's Mesh; read once per version per isolate.
import { DEFAULT_MESH } from '../../core/policy/mesh/compile.ts';
import type { CompiledMesh } from '../../core/policy/mesh/compile.ts';
import type { ControlEnv } from '../env.ts';
import { snapshotFromJws } from '../routes/snapshot-payload.ts';
import { controlState } from '../state/control-state.ts';

const byVersion = new Map<string, CompiledMesh>();

export async function currentMesh(env: ControlEnv): Promise<CompiledMesh> {
  const state = controlState(env);
  const version = (await state.currentSnapshot())?.version;
  if (!version) return DEFAULT_MESH;
  let mesh = byVersion.get(version);
  if (!mesh) {
    const snap = await state.getSnapshot(version);
    mesh = snap ? snapshotFromJws(snap.jws).body.mesh : DEFAULT_MESH;
    if (byVersion.size > 16) byVersion.clear();
    byVersion.set(version, mesh);
  }
  return mesh;
}
