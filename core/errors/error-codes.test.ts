import { describe, expect, it } from 'vitest';
import { ERROR_STATUS, statusOf } from './error-codes.ts';

describe('the error-code table', () => {
  it('gives every code a 4xx or 5xx status', () => {
    for (const [code, status] of Object.entries(ERROR_STATUS)) expect([code, status >= 400 && status < 600]).toEqual([code, true]);
    expect(statusOf('access_denied')).toBe(403);
    expect(statusOf('upstream_timeout')).toBe(504);
  });
});
