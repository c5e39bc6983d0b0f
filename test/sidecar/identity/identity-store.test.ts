// IdentityStore on a real state folder: what is saved is read back (0600, writes in order, the
// key in its own file); a corrupt identity.json is refused whole with one error line, never used.
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IdentityStore, parseStoredIdentity } from '../../../sidecar/identity/identity-store.ts';
import type { StoredIdentity } from '../../../sidecar/identity/identity-store.ts';
import { LkgStore } from '../../../sidecar/state/lkg-store.ts';
import { logSink } from './fakes.ts';

const work = mkdtempSync(join(tmpdir(), 'weft-identity-store-'));
let n = 0;
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function setup() {
  const lkg = await LkgStore.open(join(work, `s${n++}`));
  const sink = logSink();
  return { lkg, sink, store: new IdentityStore(lkg, sink.log) };
}

const identity: StoredIdentity = {
  spiffeId: 'spiffe://weft.local/ns/default/sa/reviews',
  controlToken: { token: 'ct', expiresAt: '2026-01-01T00:10:00.000Z' },
  jwtSvids: [{ audience: 'spiffe://weft.local/ns/default/sa/ratings', token: 'jt', expiresAt: '2026-01-01T00:05:00.000Z' }],
  x509Svid: { certificatePem: '-----BEGIN CERTIFICATE-----', expiresAt: '2026-01-01T01:00:00.000Z', issuedAt: '2026-01-01T00:00:00.000Z' },
};

describe('IdentityStore', () => {
  it('reads back what it saved (0600), the newest of several saves, and nothing when there is no file', async () => {
    const { store, sink } = await setup();
    expect(await store.read()).toBeUndefined();
    store.save({ ...identity, controlToken: { token: 'older', expiresAt: identity.controlToken.expiresAt } });
    store.save(identity);
    await store.flush();
    expect(await store.read()).toEqual(identity);
    expect(statSync(store.file).mode & 0o777).toBe(0o600);
    expect(sink.lines).toEqual([]);
  });

  it('keeps the X.509-SVID key in its own 0600 file', async () => {
    const { store } = await setup();
    expect(await store.keys.read()).toBeUndefined();
    await store.keys.write('-----BEGIN PRIVATE KEY-----');
    expect(await store.keys.read()).toBe('-----BEGIN PRIVATE KEY-----');
    expect(store.keys.file).toMatch(/svid-key\.pem$/);
    expect(statSync(store.keys.file).mode & 0o777).toBe(0o600);
  });

  it.each([
    ['{"spiffeId":', /^not JSON/],
    ['[]', /not a JSON object/],
    [JSON.stringify({ ...identity, spiffeId: 'reviews' }), /spiffeId is not a SPIFFE ID/],
    [JSON.stringify({ ...identity, controlToken: { token: 'ct' } }), /controlToken needs/],
    [JSON.stringify({ ...identity, controlToken: { token: 'ct', expiresAt: 'soon' } }), /controlToken needs/],
    [JSON.stringify({ ...identity, jwtSvids: {} }), /jwtSvids is not a list/],
    [JSON.stringify({ ...identity, jwtSvids: [{ audience: 'a', token: 7, expiresAt: identity.controlToken.expiresAt }] }), /jwtSvids\[0\] needs/],
    [JSON.stringify({ ...identity, x509Svid: { expiresAt: identity.controlToken.expiresAt } }), /x509Svid needs/],
  ])('refuses a corrupt file whole, with one error line saying what is wrong: %s', async (text, reason) => {
    const { store, sink } = await setup();
    writeFileSync(store.file, text);
    expect(await store.read()).toBeUndefined();
    expect(sink.lines).toEqual([{ level: 'error', msg: 'stored identity is corrupt; refusing it (a new one is requested)', file: store.file, reason: expect.stringMatching(reason) }]);
  });

  it('accepts a file without jwtSvids (none cached) and without an X.509-SVID', () => {
    const { jwtSvids: _j, x509Svid: _x, ...bare } = identity;
    expect(parseStoredIdentity(JSON.stringify(bare))).toEqual({ ok: true, identity: { ...bare, jwtSvids: [] } });
  });

  it('logs a failed write and goes on with the next', async () => {
    const sink = logSink();
    let fail = true;
    const written: string[] = [];
    const store = new IdentityStore(
      { path: (f) => `/state/${f}`, read: () => Promise.resolve(undefined), write: (_f, text) => (fail ? Promise.reject(new Error('EROFS')) : (written.push(text), Promise.resolve())) },
      sink.log,
    );
    store.save(identity);
    await store.flush();
    expect(sink.lines).toEqual([{ level: 'warn', msg: 'cannot persist the identity', error: 'Error: EROFS' }]);
    fail = false;
    store.save(identity);
    await store.flush();
    expect(written).toEqual([JSON.stringify(identity)]);
  });
});
