// The envelope every policy document shares: apiVersion, kind, metadata, spec.
import { z } from 'zod';

export const API_VERSION = 'weft/v1';
export const DEFAULT_NAMESPACE = 'default';

/** DNS-1123 label, as Kubernetes names: what a service or namespace can be called on the wire. */
export const dnsLabel = z
  .string()
  .max(63, 'expected at most 63 characters')
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'expected a lower-case DNS label: a-z, 0-9 and "-", not starting or ending with "-"');

export const metadata = z.strictObject({
  name: dnsLabel.describe('Name, unique per kind and namespace.'),
  namespace: dnsLabel.default(DEFAULT_NAMESPACE).describe('Namespace; `default` when omitted.'),
  labels: z.record(z.string(), z.string()).optional().describe('Free-form labels; not used for matching.'),
});

export function documentSchema<K extends string, S extends z.ZodType>(kind: K, spec: S, description: string) {
  return z
    .strictObject({
      apiVersion: z.literal(API_VERSION).describe(`Always \`${API_VERSION}\`.`),
      kind: z.literal(kind).describe(`Always \`${kind}\`.`),
      metadata: metadata.describe('Name and namespace of this document.'),
      spec: spec.describe(`The ${kind} itself.`),
    })
    .describe(description);
}

export interface DocumentMeta {
  name: string;
  namespace: string;
  labels?: Record<string, string> | undefined;
}

/** `namespace/name`: the id a document is referred to by in the snapshot. */
export function documentId(meta: { name: string; namespace: string }): string {
  return `${meta.namespace}/${meta.name}`;
}
