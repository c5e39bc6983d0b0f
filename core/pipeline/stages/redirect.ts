// Rules that redirect answer here with the configured status and Location (the request's
// URL with the normalized path, query kept).
import { redirectLocation } from '../../http/redirect-rewrite.ts';
import { plainAnswer, refuse } from '../answer.ts';
import type { Stage } from '../context.ts';

export const redirectStage: Stage = (c) => {
  const redirect = c.match?.rule.redirect;
  if (!redirect) return undefined;
  const { scheme, authority, rawQuery } = c.request;
  const url = `${scheme}://${authority}${c.path}${rawQuery ? `?${rawQuery}` : ''}`;
  let location: string;
  try {
    location = redirectLocation(redirect, url);
  } catch {
    // An authority no URL can hold (`reviews:abc`): there is no Location to build from it.
    return refuse('bad_request', `cannot redirect: "${authority}" is not a valid host and port`);
  }
  return plainAnswer(redirect.statusCode, { location });
};
