// Rules that redirect answer here with the configured status and Location: the request's
// scheme, host name, listener port and normalized path, each replaced where the redirect
// says, the query kept (core/http/redirect-rewrite.ts).
import { redirectLocation } from '../../http/redirect-rewrite.ts';
import { plainAnswer, refuse } from '../answer.ts';
import type { Stage } from '../context.ts';

export const redirectStage: Stage = (c) => {
  const match = c.match;
  const redirect = match?.rule.redirect;
  if (!match || !redirect) return undefined;
  const { scheme, host, listenerPort, rawQuery, authority } = c.request;
  const location = redirectLocation(redirect, { scheme, hostname: host, listenerPort, path: c.path, query: rawQuery, matchedPrefix: match.matchedPrefix });
  // An authority no URL can hold (`reviews:abc`): there is no Location to build from it.
  if (location === null) return refuse('bad_request', `cannot redirect: "${authority}" is not a valid host and port`);
  return plainAnswer(redirect.statusCode, { location });
};
