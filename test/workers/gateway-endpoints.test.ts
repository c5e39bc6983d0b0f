// Registered endpoints at the edge: an instance a sidecar registers with control (join token →
// SVID → POST /v1/endpoints, all through control's real API) becomes a backend of the gateway,
// and stops being one when it deregisters.
import { beforeAll, describe, expect, it } from 'vitest';
import { echo, gw, PORTS, pushPolicy, route, testEnv } from './gateway-support.ts';

const control = (path: string, init: RequestInit = {}) => testEnv.CONTROL_HTTP.fetch(`https://control${path}`, init);
let controlToken: string;

beforeAll(async () => {
  const jt = (await (await control('/v1/identity/join-tokens', { method: 'POST', headers: { authorization: `Bearer ${testEnv.TEST_ADMIN_TOKEN}` }, body: JSON.stringify({ service: 'reviews' }) })).json()) as { token: string };
  const svid = (await (await control('/v1/identity/svid', { method: 'POST', headers: { authorization: `Bearer ${jt.token}` }, body: '{}' })).json()) as { controlToken: { token: string } };
  controlToken = svid.controlToken.token;
  await pushPolicy(
    'apiVersion: weft/v1\nkind: Service\nmetadata: { name: reviews }\nspec:\n  port: 9080\n  subsets: [{ name: v2, labels: { version: v2 } }]',
    route('reviews', 'reviews.example.com', '    - backends: [{ service: reviews, subset: v2 }]\n      retries: { attempts: 0 }'),
  );
});

async function until(check: () => Promise<boolean>): Promise<boolean> {
  for (let i = 0; i < 50; i++) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

describe('registered endpoints at the edge', () => {
  it('proxies to an instance registered with control, and stops when it deregisters', async () => {
    const reg = await control('/v1/endpoints', { method: 'POST', headers: { authorization: `Bearer ${controlToken}` }, body: JSON.stringify({ instanceId: 'reviews-v2-1', address: '127.0.0.1', port: Number(PORTS.canary), labels: { version: 'v2' } }) });
    expect(reg.status).toBe(200);
    expect(await until(async () => (await gw('https://reviews.example.com/reviews/1')).status === 200)).toBe(true);
    expect((await echo(await gw('https://reviews.example.com/reviews/1'))).upstream).toBe('canary');

    expect((await control('/v1/endpoints/reviews-v2-1', { method: 'DELETE', headers: { authorization: `Bearer ${controlToken}` } })).status).toBe(204);
    // A service with no endpoints at all: 500, as the Gateway API answers a backend that cannot be used.
    expect(await until(async () => (await gw('https://reviews.example.com/reviews/1')).status === 500)).toBe(true);
    const res = await gw('https://reviews.example.com/reviews/1');
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('no_endpoints');
  });
});
