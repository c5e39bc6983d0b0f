// Stage 3: CORS for routes that configure it: preflights are answered here (never reach the
// backend), actual requests get the allow headers on their response.
import { corsPreflight, corsResponseHeaders } from '../../core/http/cors.ts';
import { jsonError } from './json-error.ts';
import type { Stage } from './context.ts';

export const corsStage: Stage = (c) => {
  const cors = c.match?.rule.cors;
  if (!cors) return undefined;
  const preflight = corsPreflight(cors, { method: c.request.method, headers: c.request.headers });
  if (preflight.kind === 'preflight') return new Response(null, { status: preflight.status, headers: preflight.headers });
  if (preflight.kind === 'rejected') return jsonError(preflight.status, 'cors_rejected', preflight.reason);
  c.responseHeaders.push(...Object.entries(corsResponseHeaders(cors, c.request.headers.get('origin'))));
  return undefined;
};
