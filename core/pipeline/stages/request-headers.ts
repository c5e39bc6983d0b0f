// The rule's rewrite (path prefix, whole path, host) and its request header operations.
// At the edge a host rewrite also goes as X-Forwarded-Host (Workers cannot set a
// subrequest's Host; docs/gateway.md); a sidecar sends it as the Host.
import { applyHeaderOps } from '../../http/header-ops.ts';
import { rewritePath } from '../../http/redirect-rewrite.ts';
import type { Stage } from '../context.ts';

export const requestHeadersStage: Stage = (c) => {
  const match = c.match;
  if (!match) return undefined;
  const rewrite = match.rule.rewrite;
  if (rewrite) {
    c.upstreamPath = rewritePath(c.path, match.matchedPrefix, rewrite);
    if (rewrite.host) {
      c.upstreamHost = rewrite.host;
      if (c.plane === 'edge') c.upstreamHeaders.set('x-forwarded-host', rewrite.host);
    }
  }
  applyHeaderOps(c.upstreamHeaders, match.rule.requestHeaders);
  return undefined;
};
