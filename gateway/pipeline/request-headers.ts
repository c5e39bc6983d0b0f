// Stage 7: rewrite (path prefix, whole path, host) and the route's request header operations.
// Workers cannot override the Host of a subrequest, so a host rewrite is sent as
// X-Forwarded-Host (documented in docs/gateway.md).
import { applyHeaderOps } from '../../core/http/header-ops.ts';
import { rewritePath } from '../../core/http/redirect-rewrite.ts';
import type { Stage } from './context.ts';

export const requestHeadersStage: Stage = (c) => {
  const match = c.match;
  if (!match) return undefined;
  if (match.rule.rewrite) {
    c.upstreamPath = rewritePath(c.path, match.matchedPrefix, match.rule.rewrite);
    if (match.rule.rewrite.host) {
      c.upstreamHost = match.rule.rewrite.host;
      c.upstreamHeaders.set('x-forwarded-host', match.rule.rewrite.host);
    }
  }
  applyHeaderOps(c.upstreamHeaders, match.rule.requestHeaders);
  return undefined;
};
