// The Weft policy that import writes and export reads, as plain data: the Route language's
// input types, derived from its schema (core/policy/route/schema.ts) so the two cannot drift.
import type { z } from 'zod';
import type { routeRule, routeSpec } from '../../core/policy/route/schema.ts';

type RuleInput = z.input<typeof routeRule>;
type MatchInput = NonNullable<RuleInput['matches']>[number];

export type WeftRule = RuleInput;
export type WeftMatch = MatchInput;
export type WeftPathMatch = NonNullable<MatchInput['path']>;
export type WeftValueMatch = NonNullable<MatchInput['query']>[number];
export type WeftHeaderOps = NonNullable<RuleInput['requestHeaders']>;
export type WeftBackend = NonNullable<RuleInput['backends']>[number];
export type WeftMirror = Extract<NonNullable<RuleInput['mirror']>, { service: string }>;
export type WeftRedirect = NonNullable<RuleInput['redirect']>;
export type WeftRetries = NonNullable<RuleInput['retries']>;
export type WeftCors = NonNullable<RuleInput['cors']>;
export type WeftRouteSpec = z.input<typeof routeSpec>;

export interface WeftServiceSpec {
  port?: number;
  protocol?: string;
}

export interface WeftDocument<Spec> {
  apiVersion: 'weft/v1';
  kind: 'Route' | 'Service';
  metadata: { name: string; namespace: string };
  spec: Spec;
}

/** A document to write, with the comment printed above it (where it came from). */
export interface ImportedDocument {
  comment: string;
  document: WeftDocument<WeftRouteSpec> | WeftDocument<WeftServiceSpec>;
}
