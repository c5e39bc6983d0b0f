// Reads a JSON request body with a size limit: 413 over the limit (checked while streaming,
// not only from Content-Length), 400 for anything that is not a JSON object.
import { BodyTooLargeError, readCapped } from '../../core/http/read-capped.ts';
import { HttpError } from './http-error.ts';

export async function readJsonBody(request: Request, maxBytes: number): Promise<Record<string, unknown>> {
  if (!request.body) throw new HttpError('bad_request', 'request body is empty; expected JSON');
  let bytes: Uint8Array;
  try {
    bytes = await readCapped(request, maxBytes);
  } catch (e) {
    if (e instanceof BodyTooLargeError) throw new HttpError('body_too_large', `request body is larger than ${maxBytes} bytes`);
    throw e;
  }
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new HttpError('bad_json', `request body is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new HttpError('bad_request', 'request body must be a JSON object');
  return value as Record<string, unknown>;
}
