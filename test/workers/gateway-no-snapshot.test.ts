import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';

describe('gateway without a snapshot', () => {
  it('refuses traffic with 503 and the JSON error shape while it has no snapshot', async () => {
    const res = await SELF.fetch('https://api.example.com/anything');
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({
      error: { code: 'no_snapshot', message: 'the gateway has no valid policy snapshot yet' },
    });
  });
});
