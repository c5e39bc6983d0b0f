// Rules that redirect answer here with the configured status and Location (the request's
// URL with the normalized path, query kept).
import { redirectLocation } from '../../http/redirect-rewrite.ts';
import { plainAnswer } from '../answer.ts';
import type { Stage } from '../context.ts';

export const redirectStage: Stage = (c) => {
  const redirect = c.match?.rule.redirect;
  if (!redirect) return undefined;
  const { scheme, authority, rawQuery } = c.request;
  const url = `${scheme}://${authority}${c.path}${rawQuery ? `?${rawQuery}` : ''}`;
  return plainAnswer(redirect.statusCode, { location: redirectLocation(redirect, url) });
};
