// The Weft policy that import writes and export reads, as plain data: the Route rule language
// of issue 18 (relative weights, per-backend header ops, mirror lists, redirect.pathPrefix,
// `0s` timeouts, CORS `*`), kept here as the shape both directions agree on.

export type WeftPathMatch = { exact: string } | { prefix: string } | { regex: string } | { template: string };

export interface WeftValueMatch {
  name: string;
  exact?: string;
  prefix?: string;
  regex?: string;
  present?: true;
}

export interface WeftMatch {
  path?: WeftPathMatch;
  grpc?: { service: string; method?: string };
  methods?: string[];
  headers?: WeftValueMatch[];
  query?: WeftValueMatch[];
}

export interface WeftHeaderOps {
  set?: Record<string, string>;
  add?: Record<string, string>;
  remove?: string[];
}

export interface WeftBackend {
  service: string;
  namespace?: string;
  subset?: string;
  weight?: number;
  requestHeaders?: WeftHeaderOps;
  responseHeaders?: WeftHeaderOps;
}

export interface WeftMirror {
  service: string;
  namespace?: string;
  subset?: string;
  percent?: number;
}

export interface WeftRedirect {
  scheme?: string;
  host?: string;
  port?: number;
  path?: string;
  pathPrefix?: string;
  statusCode?: number;
}

export interface WeftRetries {
  attempts?: number;
  perTryTimeout?: string;
  retryOn?: string[];
  statusCodes?: number[];
  backoff?: { baseInterval: string; maxInterval?: string };
  budget?: { percent: number; minRetriesPerSecond?: number };
  nonIdempotent?: boolean;
}

export interface WeftCors {
  allowOrigins: string[];
  allowMethods?: string[];
  allowHeaders?: string[];
  exposeHeaders?: string[];
  maxAge?: string;
  allowCredentials?: boolean;
}

export interface WeftRule {
  name?: string;
  matches?: WeftMatch[];
  backends?: WeftBackend[];
  redirect?: WeftRedirect;
  rewrite?: { pathPrefix?: string; path?: string; host?: string };
  requestHeaders?: WeftHeaderOps;
  responseHeaders?: WeftHeaderOps;
  mirror?: WeftMirror | WeftMirror[];
  timeout?: string;
  retries?: WeftRetries;
  cors?: WeftCors;
  /** Read by export only (never written by import): Weft features the Gateway API lacks. */
  maxRequestBytes?: number;
  fault?: unknown;
  websocket?: unknown;
}

export interface WeftRouteSpec {
  edge?: { hosts: string[] };
  mesh?: { services: string[] };
  rules: WeftRule[];
}

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
