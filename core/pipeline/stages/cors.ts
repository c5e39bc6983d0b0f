// CORS for edge routes that configure it: preflights are answered here (never reach the
// backend), actual requests get the allow headers on their response.
import { corsPreflight, corsResponseHeaders } from '../../http/cors.ts';
import { plainAnswer, refuse } from '../answer.ts';
import type { Stage } from '../context.ts';

export const corsStage: Stage = (c) => {
  const cors = c.match?.rule.cors;
  if (!cors) return undefined;
  const preflight = corsPreflight(cors, c.request);
  if (preflight.kind === 'preflight') return plainAnswer(preflight.status, preflight.headers);
  if (preflight.kind === 'rejected') return refuse('cors_rejected', preflight.reason, {}, preflight.status);
  const allow = corsResponseHeaders(cors, c.request.headers.get('origin'));
  for (const name in allow) c.responseHeaders.push([name, allow[name] as string]);
  return undefined;
};
