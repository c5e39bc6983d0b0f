// The request-body limit: written on Route rules and as a Mesh default, filled by the compiler
// (rule value, else Mesh default, else the built-in default below). docs/policies.md says why
// the built-in value is what it is.
import { z } from 'zod';

/** 32 MiB: under Cloudflare's smallest plan limit (100 MB), so the edge's 413 is always Weft's own. */
export const BUILTIN_MAX_REQUEST_BYTES = 32 * 1024 * 1024;

const BYTES = 'expected a positive whole number of bytes, such as 1048576 (1 MiB)';

export const maxRequestBytes = z.number({ error: BYTES }).int(BYTES).positive(BYTES);
