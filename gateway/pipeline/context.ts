// What the gateway knows about one request as it moves through the stages.
import type { RuleRef } from '../../core/compile/route-table.ts';
import type { CompiledRoute, CompiledRule } from '../../core/policy/route/compile.ts';
import type { CompiledService } from '../../core/policy/service/compile.ts';
import type { CompiledTarget } from '../../core/policy/shared/resolve-targets.ts';
import type { SnapshotRuntime } from '../../core/runtime/snapshot-runtime.ts';
import type { GatewayEnv } from '../env.ts';

export interface AuthenticatedUser {
  requestPrincipal: string;
  claims: Record<string, unknown>;
  apiKey: string | null;
}

export interface GatewayContext {
  request: Request;
  env: GatewayEnv;
  ctx: ExecutionContext;
  runtime: SnapshotRuntime;
  startedAt: number;
  url: URL;
  host: string;
  /** The path as the client sent it, before normalization. */
  rawPath: string;
  /** The normalized path: what routing and access policy see. */
  path: string;
  clientIp: string | null;
  traceparent: string;
  match?: { ref: RuleRef; route: CompiledRoute; rule: CompiledRule; params: Record<string, string>; matchedPrefix: string | null };
  /** The backend picked for this request (stage 8). */
  backend?: { service: CompiledService; subset: string | null };
  /** Policy targets of the matched route: policies attach to these. */
  targets: CompiledTarget[];
  user?: AuthenticatedUser;
  /** Headers for the upstream request, built up by the stages. */
  upstreamHeaders: Headers;
  /**
   * Headers every response to this request carries (CORS, rate limits), in order: a `vary`
   * value is appended to the response's, any other replaces it. A plain list, not a Headers
   * object: most requests add none, and the rest add them once, in finishResponse.
   */
  responseHeaders: [name: string, value: string][];
  /** Path sent upstream (after rewrite). */
  upstreamPath: string;
  upstreamHost: string | null;
  /** Set by the proxy stage for the access log. */
  upstream?: string;
}

/** A stage either answers (a Response ends the pipeline) or lets the request go on. */
export type Stage = (c: GatewayContext) => Promise<Response | undefined> | Response | undefined;
