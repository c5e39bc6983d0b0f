// The path as routing and access policy will see it (core/route/normalize-path.ts, with the
// Mesh's settings). A path that could confuse a backend is refused with 400.
import { normalizePath } from '../../route/normalize-path.ts';
import { refuse } from '../answer.ts';
import type { Stage } from '../context.ts';

export const normalizePathStage: Stage = (c) => {
  const result = normalizePath(c.request.rawPath, c.runtime.snapshot.body.mesh.pathNormalization);
  if (!result.ok) return refuse('invalid_path', result.message);
  c.path = result.path;
  c.upstreamPath = result.path;
  return undefined;
};
