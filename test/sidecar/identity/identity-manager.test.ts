// IdentityManager as the composition of the identity units, against fake control answers
// (in-process, no X.509): join once then renew with the controlToken, JWT-SVIDs through the
// cache, the identity written to disk and loaded back, and a corrupt file never used.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CallOptions, ControlLink, ControlResponse } from '../../../sidecar/control/control-http.ts';
import { IdentityError, IdentityManager } from '../../../sidecar/control/identity-manager.ts';
import { LkgStore } from '../../../sidecar/state/lkg-store.ts';
import { jwtAt, logSink } from './fakes.ts';

const REVIEWS = 'spiffe://weft.local/ns/default/sa/reviews';
const work = mkdtempSync(join(tmpdir(), 'weft-identity-manager-'));
let n = 0;
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Control that answers every POST /v1/identity/svid with a new controlToken (and the JWT-SVIDs asked for). */
function fakeControl() {
  const credentials: string[] = [];
  let issued = 0;
  const link = {
    signal: new AbortController().signal,
    call: (_m: string, _p: string, o: CallOptions = {}): Promise<ControlResponse> => {
      credentials.push(o.token ?? '');
      const now = Date.now();
      const exp = new Date(now + 600_000).toISOString();
      const audiences = (o.body as { audiences?: string[] }).audiences ?? [];
      const body = {
        spiffeId: REVIEWS,
        controlToken: { token: jwtAt(now, `ct-${++issued}`), expiresAt: exp },
        jwtSvids: audiences.map((audience) => ({ audience, token: jwtAt(now, `jwt-${issued}`), expiresAt: exp })),
      };
      return Promise.resolve({ status: 200, headers: { get: () => null }, text: JSON.stringify(body) });
    },
  };
  return { credentials, link: link as unknown as ControlLink };
}

async function manager(dir: string, joinToken: string | undefined, link: ControlLink) {
  const sink = logSink();
  const store = await LkgStore.open(dir);
  const m = new IdentityManager({ link, store, log: sink.log, namespace: 'default', service: 'reviews', joinToken, backoff: { baseMs: 1, maxMs: 2 } });
  return { m, sink };
}

describe('IdentityManager (composition)', () => {
  it('joins once, renews with its controlToken, serves JWT-SVIDs, and starts again from what it wrote', async () => {
    const dir = join(work, `m${n++}`);
    const control = fakeControl();
    const { m } = await manager(dir, 'wjt_join', control.link);
    expect(await m.loadFromDisk()).toBe(false);
    await m.acquire();
    expect([m.spiffeId, m.trustDomain]).toEqual([REVIEWS, 'weft.local']);
    const first = m.controlToken();
    await m.acquire();
    expect(control.credentials).toEqual(['wjt_join', first]);
    const jwt = await m.jwtSvid('aud');
    expect(await m.jwtSvid('aud')).toBe(jwt);
    expect(m.x509Svid).toBeUndefined();
    expect(m.x509Problem()).toBeUndefined();
    m.stop();
    await m.flush();

    const again = await manager(dir, undefined, fakeControl().link);
    expect(await again.m.loadFromDisk()).toBe(true);
    expect(again.m.controlToken()).toBe(m.controlToken());
    expect(again.m.expiresAt).toBe(m.expiresAt);
    expect(await again.m.jwtSvid('aud')).toBe(jwt);
    again.m.stop();
  });

  it('refuses a corrupt identity file with an error line and joins as if there were none', async () => {
    const dir = join(work, `m${n++}`);
    const control = fakeControl();
    const { m, sink } = await manager(dir, 'wjt_join', control.link);
    writeFileSync(join(dir, 'identity.json'), JSON.stringify({ spiffeId: REVIEWS, controlToken: { token: 'stolen' } }));
    expect(await m.loadFromDisk()).toBe(false);
    expect(m.controlToken()).toBeUndefined();
    expect(sink.lines).toContainEqual(expect.objectContaining({ level: 'error', msg: 'stored identity is corrupt; refusing it (a new one is requested)' }));
    await m.acquire();
    expect(control.credentials).toEqual(['wjt_join']);
    m.stop();
  });

  it('with no join token and nothing on disk, acquire says so (IdentityError)', async () => {
    const { m } = await manager(join(work, `m${n++}`), undefined, fakeControl().link);
    await expect(m.acquire()).rejects.toThrow(IdentityError);
    await expect(m.acquire()).rejects.toThrow(/^no join token/);
  });
});
