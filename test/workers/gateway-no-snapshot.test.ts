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

  it('answers HEAD with the status alone: no body, no Content-Type (health check included)', async () => {
    for (const path of ['/anything', '/__weft/health']) {
      const res = await SELF.fetch(`https://api.example.com${path}`, { method: 'HEAD' });
      expect([res.status, res.headers.get('content-type'), await res.text()], path).toEqual([503, null, '']);
    }
  });

  it('refuses a gRPC-Web call with grpc-status 14 (UNAVAILABLE), which its client can read', async () => {
    const res = await SELF.fetch('https://api.example.com/helloworld.Greeter/SayHello', { method: 'POST', headers: { 'content-type': 'application/grpc-web+proto' }, body: new Uint8Array(5) });
    expect([res.status, res.headers.get('content-type'), res.headers.get('grpc-status'), await res.text()]).toEqual([200, 'application/grpc-web+proto', '14', '']);
  });
});
