// Stage 1: the path as routing and access policy will see it (core/route/normalize-path.ts,
// with the Mesh's settings). Paths that could confuse a backend are refused with 400.
import { normalizePath } from '../../core/route/normalize-path.ts';
import { jsonError } from './json-error.ts';
import type { Stage } from './context.ts';

export const normalizePathStage: Stage = (c) => {
  const result = normalizePath(c.rawPath, c.runtime.snapshot.body.mesh.pathNormalization);
  if (!result.ok) return jsonError(400, 'invalid_path', result.message);
  c.path = result.path;
  c.upstreamPath = result.path;
  return undefined;
};
