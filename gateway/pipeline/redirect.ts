// Stage 7: routes that redirect answer here with the configured status and Location.
import { redirectLocation } from '../../core/http/redirect-rewrite.ts';
import type { Stage } from './context.ts';

export const redirectStage: Stage = (c) => {
  const redirect = c.match?.rule.redirect;
  if (!redirect) return undefined;
  const target = new URL(c.url);
  target.pathname = c.path;
  return new Response(null, { status: redirect.statusCode, headers: { location: redirectLocation(redirect, target) } });
};
