// Request and response header operations, shared by Route rules at the edge and in the mesh.
import { z } from 'zod';

export const headerName = z
  .string()
  .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'expected an HTTP header name (RFC 9110 token)');

const headerValue = z.string().refine((v) => !/[\r\n\0]/.test(v), 'header values cannot contain CR, LF or NUL');

export const headerOps = z.strictObject({
  set: z.record(headerName, headerValue).optional().describe('Headers to set, replacing any value.'),
  add: z.record(headerName, headerValue).optional().describe('Headers to append (a value is added even if the header exists).'),
  remove: z.array(headerName).optional().describe('Headers to remove.'),
});

export type HeaderOps = z.infer<typeof headerOps>;

export interface CompiledHeaderOps {
  set: Record<string, string>;
  add: Record<string, string>;
  remove: string[];
}

/** Lower-cases names so data planes compare them without thinking about case. */
export function compileHeaderOps(ops: HeaderOps | undefined): CompiledHeaderOps {
  const lower = (r: Record<string, string> | undefined) =>
    Object.fromEntries(Object.entries(r ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  return { set: lower(ops?.set), add: lower(ops?.add), remove: (ops?.remove ?? []).map((h) => h.toLowerCase()) };
}
