// API keys by hash: the hash `weft hash-key` prints, good and bad keys, several configured keys.
import { describe, expect, it } from 'vitest';
import { ACCEPTED_KEYS_REMEMBERED, sha256Hex, verifyApiKey } from './api-key.ts';
import type { ApiKeyEntry } from './api-key.ts';

describe('API keys', () => {
  it('hashes like sha256sum (lower-case hex of the UTF-8 bytes)', async () => {
    expect(await sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('accepts a configured key and returns its name and claims', async () => {
    const keys: ApiKeyEntry[] = [
      { name: 'acme', sha256: await sha256Hex('key-acme'), claims: { plan: 'partner' } },
      { name: 'globex', sha256: await sha256Hex('key-globex'), claims: {} },
    ];
    expect(await verifyApiKey('key-acme', keys)).toEqual({ ok: true, name: 'acme', claims: { plan: 'partner' } });
    expect(await verifyApiKey('key-globex', keys)).toEqual({ ok: true, name: 'globex', claims: {} });
  });

  it('refuses unknown, empty, near-miss and oversized keys, and the hash itself', async () => {
    const hash = await sha256Hex('key-acme');
    const keys = [{ name: 'acme', sha256: hash, claims: {} }];
    for (const k of ['key-acmf', 'Key-acme', 'key-acme ', '', hash, 'k'.repeat(5000)]) expect(await verifyApiKey(k, keys)).toEqual({ ok: false });
    expect(await verifyApiKey('key-acme', [])).toEqual({ ok: false });
  });

  it('a remembered key stops working with the key list that drops it, and wrong keys are never remembered', async () => {
    const keys: ApiKeyEntry[] = [{ name: 'acme', sha256: await sha256Hex('key-acme'), claims: { plan: 'partner' } }];
    const first = await verifyApiKey('key-acme', keys);
    const again = await verifyApiKey('key-acme', keys);
    expect(again).toEqual(first);
    // The caller may change the claims it got; the next request must not see that.
    if (again.ok) again.claims.plan = 'changed';
    expect(await verifyApiKey('key-acme', keys)).toEqual({ ok: true, name: 'acme', claims: { plan: 'partner' } });
    // The next snapshot's list without acme: refused, though acme was accepted a moment ago.
    const next: ApiKeyEntry[] = [{ name: 'globex', sha256: await sha256Hex('key-globex'), claims: {} }];
    expect(await verifyApiKey('key-acme', next)).toEqual({ ok: false });
    for (let i = 0; i < 3; i++) expect(await verifyApiKey('key-acmf', keys)).toEqual({ ok: false });
  });

  it(`past ${ACCEPTED_KEYS_REMEMBERED} accepted keys in one list, every key is still accepted (the oldest are hashed again)`, async () => {
    const count = ACCEPTED_KEYS_REMEMBERED + 2;
    const keys: ApiKeyEntry[] = await Promise.all(Array.from({ length: count }, async (_, i) => ({ name: `k${i}`, sha256: await sha256Hex(`key-${i}`), claims: {} })));
    for (let i = 0; i < count; i++) expect(await verifyApiKey(`key-${i}`, keys)).toMatchObject({ ok: true, name: `k${i}` });
    // key-0 was pushed out: it is hashed again, and still good.
    expect(await verifyApiKey('key-0', keys)).toMatchObject({ ok: true, name: 'k0' });
  });
});
