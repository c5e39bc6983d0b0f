// The rule's rewrite (path prefix, whole path, host) and request header operations, then
// those of the backend picked for the request (Gateway API per-backendRef filters), so a
// backend's own operations have the last word on what it receives.
// A sidecar sends a host rewrite as the Host. At the edge it is the Host only where a try
// can be resolved by name (core/http/edge-upstream-target.ts), so it also goes as
// X-Forwarded-Host, in place of the client's (docs/gateway.md).
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
  if (c.backend) applyHeaderOps(c.upstreamHeaders, c.backend.requestHeaders);
  return undefined;
};
