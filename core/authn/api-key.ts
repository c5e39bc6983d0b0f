// API keys: only their SHA-256 (lower-case hex) is configured. The presented key is hashed
// with Web Crypto and compared with every configured hash in constant time (no early exit,
// no string compare), so response timing says nothing about how close a guess was. A key
// once accepted is remembered per configured list (one list per snapshot), so a busy client
// is not hashed again on every request; see `accepted`.
import { setBounded } from '../collections/bounded-map.ts';

export interface ApiKeyEntry {
  name: string;
  /** Lower-case hex SHA-256 of the key. */
  sha256: string;
  claims: Record<string, string>;
}

export type ApiKeyResult = { ok: true; name: string; claims: Record<string, string> } | { ok: false };

/** Longest key hashed; anything longer cannot be a configured key worth the work. */
export const MAX_API_KEY_LENGTH = 4096;

const decoded = new WeakMap<ApiKeyEntry, Uint8Array | null>();

function hashBytes(entry: ApiKeyEntry): Uint8Array | null {
  let bytes = decoded.get(entry);
  if (bytes === undefined) {
    bytes = /^[0-9a-fA-F]{64}$/.test(entry.sha256) ? Uint8Array.from(entry.sha256.match(/../g) as string[], (h) => parseInt(h, 16)) : null;
    decoded.set(entry, bytes);
  }
  return bytes;
}

/** SHA-256 of `text` (UTF-8) as lower-case hex: what `weft hash-key` prints. */
export async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
  let out = '';
  for (const b of digest) out += b.toString(16).padStart(2, '0');
  return out;
}

/** Accepted keys remembered per configured list; past this many, the oldest goes. */
export const ACCEPTED_KEYS_REMEMBERED = 1024;

/**
 * Keys that matched, per configured list. Only accepted keys are kept, so a flood of wrong
 * keys cannot fill it or push good ones out, and a wrong key always pays the hash; a key
 * removed from policy stops working with the snapshot that removed it (a new list). A hit is
 * a hash-table lookup on the whole presented string, which reveals nothing about how close a
 * wrong guess came.
 */
const accepted = new WeakMap<readonly ApiKeyEntry[], Map<string, ApiKeyEntry>>();

function okResult(entry: ApiKeyEntry): ApiKeyResult {
  return { ok: true, name: entry.name, claims: { ...entry.claims } };
}

export async function verifyApiKey(presented: string, keys: readonly ApiKeyEntry[]): Promise<ApiKeyResult> {
  if (typeof presented !== 'string' || presented === '' || presented.length > MAX_API_KEY_LENGTH) return { ok: false };
  const remembered = accepted.get(keys)?.get(presented);
  if (remembered) return okResult(remembered);
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(presented)));
  let found: ApiKeyEntry | null = null;
  for (const entry of keys) {
    const expected = hashBytes(entry);
    if (!expected) continue;
    let diff = 0;
    for (let i = 0; i < 32; i++) diff |= (digest[i] as number) ^ (expected[i] as number);
    // Keep looking at every entry either way; the first match wins.
    if (diff === 0 && found === null) found = entry;
  }
  if (!found) return { ok: false };
  let known = accepted.get(keys);
  if (!known) accepted.set(keys, (known = new Map()));
  setBounded(known, presented, found, ACCEPTED_KEYS_REMEMBERED);
  return okResult(found);
}
