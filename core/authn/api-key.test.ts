// API keys by hash: the hash `weft hash-key` prints, good and bad keys, several configured keys.
import { describe, expect, it } from 'vitest';
import { sha256Hex, verifyApiKey } from './api-key.ts';
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
});
