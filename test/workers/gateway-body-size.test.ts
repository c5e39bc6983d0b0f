// The route's body-size limit (`maxRequestBytes`) at the edge, in workerd against a real
// upstream on 127.0.0.1: a declared oversize body is 413 before the upstream is called; a
// chunked one is counted as it streams, answered 413, and the upstream's request is cut
// within the limit; a body of exactly the limit passes, declared or chunked.
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { waitFor } from '../support/basics.ts';
import type { SeenRequest } from '../support/upstream-server.ts';
import { apiService, echo, gw, pushPolicy, route, upstream } from './gateway-support.ts';

const LIMIT = 1000;
const URL_BASE = 'https://size.example.com';

beforeAll(async () => {
  await pushPolicy(
    apiService(),
    route(
      'size',
      'size.example.com',
      [
        '    - name: small',
        '      matches: [{ path: { prefix: /small } }]',
        '      backends: [{ service: api, subset: stable }]',
        `      maxRequestBytes: ${LIMIT}`,
      ].join('\n'),
    ),
  );
});

beforeEach(async () => {
  await upstream('stable', '/__reset');
});

async function hits(path: string): Promise<number> {
  return ((await upstream('stable', '/__hits')) as Record<string, number>)[path] ?? 0;
}

/** A body of undeclared length (sent chunked): `first` bytes, then, once `between` resolves, `second` more. */
function chunked(first: number, second: number, between: Promise<unknown> = Promise.resolve()): ReadableStream<Uint8Array> {
  let step = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (step === 0) controller.enqueue(new Uint8Array(first).fill(0x61));
      else if (step === 1) {
        await between;
        if (second > 0) controller.enqueue(new Uint8Array(second).fill(0x62));
      } else controller.close();
      step++;
    },
  });
}

const post = (path: string, body: BodyInit) => gw(`${URL_BASE}${path}`, { method: 'POST', body, duplex: 'half' } as RequestInit);

describe('a declared body', () => {
  it('over the limit: 413 body_too_large, and the upstream is never called', async () => {
    const res = await post('/small/declared', 'x'.repeat(LIMIT + 1));
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ error: { code: 'body_too_large', message: `the request body is larger than this route's limit of ${LIMIT} bytes (maxRequestBytes)` } });
    expect(await hits('/small/declared')).toBe(0);
  });

  it('of exactly the limit: passes', async () => {
    expect((await echo(await post('/small/exact', 'x'.repeat(LIMIT)))).bodyLength).toBe(LIMIT);
  });
});

describe('a chunked body', () => {
  it('over the limit: 413 body_too_large; the upstream got the bytes within the limit, then its request was cut', async () => {
    const path = '/small/chunked';
    const res = await post(path, chunked(600, 600, waitFor('the upstream to get the request', async () => (await hits(path)) === 1)));
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('body_too_large');
    const seen = await waitFor('the upstream to log the cut request', async () => ((await upstream('stable', '/__log')) as SeenRequest[]).find((r) => r.url === path));
    expect(seen).toMatchObject({ cut: true });
    expect(seen.bodyLength).toBeLessThanOrEqual(LIMIT);
  });

  it('of exactly the limit: passes', async () => {
    expect((await echo(await post('/small/chunked-exact', chunked(600, LIMIT - 600)))).bodyLength).toBe(LIMIT);
  });
});
