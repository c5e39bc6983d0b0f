// Outbound stages 1–3: the destination service (registry-only), the path as routing sees it
// (Mesh normalization; a path that could confuse a backend is a 400), and the mesh route rule
// that governs the call (path, method, headers, query), or the service's direct rule.
import type { IncomingMessage } from 'node:http';
import { meshHost } from '../../core/compile/route-table.ts';
import type { CompiledRoute, CompiledRule } from '../../core/policy/route/compile.ts';
import { normalizePath, splitPathAndQuery } from '../../core/route/normalize-path.ts';
import type { SnapshotRuntime } from '../../core/runtime/snapshot-runtime.ts';
import { destinationService, directRule, hostOnly } from './destination.ts';
import { headerView } from './request-log.ts';

export interface OutboundTarget {
  /** The authority the app named (`reviews`, `reviews.default:9080`). */
  authority: string;
  /** Service id the authority names. */
  serviceId: string;
  /** Normalized path and the raw query (no `?`). */
  path: string;
  query: string;
  route: CompiledRoute | null;
  rule: CompiledRule;
  /** Prefix the rule matched on, for a prefix rewrite. */
  matchedPrefix: string | null;
}

export type RouteResult = { ok: true; target: OutboundTarget } | { ok: false; status: number; code: string; message: string; authority: string; path: string };

/** Request target of an HTTP_PROXY request (`http://reviews/x`) or an origin-form one (`/x` + Host). */
function splitTarget(req: IncomingMessage): { authority: string; target: string } {
  const url = req.url ?? '/';
  if (url.startsWith('/')) return { authority: req.headers.host ?? '', target: url };
  const scheme = url.indexOf('://');
  if (scheme < 0) return { authority: req.headers.host ?? '', target: url };
  const slash = url.indexOf('/', scheme + 3);
  const end = slash < 0 ? url.length : slash;
  const q = url.indexOf('?', scheme + 3);
  const cut = q >= 0 && q < end ? q : end;
  return { authority: url.slice(scheme + 3, cut), target: slash < 0 || cut < end ? `/${url.slice(cut)}` : url.slice(slash) };
}

function lazyQuery(query: string): { get(name: string): string | null } {
  let params: URLSearchParams | undefined;
  return { get: (name) => (params ??= new URLSearchParams(query)).get(name) };
}

export function resolveOutboundRoute(runtime: SnapshotRuntime, namespace: string, req: IncomingMessage): RouteResult {
  const { authority, target } = splitTarget(req);
  const { path: rawPath, query } = splitPathAndQuery(target);
  const serviceId = destinationService(runtime, hostOnly(authority), namespace);
  if (!serviceId)
    return { ok: false, status: 502, code: 'unknown_service', message: `"${authority}" is not a service of the mesh (outbound traffic is registry-only)`, authority, path: rawPath };
  const normalized = normalizePath(rawPath, runtime.snapshot.body.mesh.pathNormalization);
  if (!normalized.ok) return { ok: false, status: 400, code: 'invalid_path', message: normalized.message, authority, path: rawPath };
  const path = normalized.path;
  const hit = runtime.mesh.match({ host: meshHost(serviceId), path, method: (req.method ?? 'GET').toUpperCase(), headers: headerView(req), query: lazyQuery(query) });
  const found = hit && runtime.rule(hit.target);
  if (!hit || !found) return { ok: true, target: { authority, serviceId, path, query, route: null, rule: directRule(runtime, serviceId), matchedPrefix: null } };
  const m = found.rule.matches[hit.target.match];
  return { ok: true, target: { authority, serviceId, path, query, route: found.route, rule: found.rule, matchedPrefix: m?.path.kind === 'prefix' ? m.path.value : null } };
}
