// API keys: only their SHA-256 (lower-case hex) is configured. The presented key is hashed
// with Web Crypto and compared with every configured hash in constant time (no early exit,
// no string compare), so response timing says nothing about how close a guess was.

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

export async function verifyApiKey(presented: string, keys: readonly ApiKeyEntry[]): Promise<ApiKeyResult> {
  if (typeof presented !== 'string' || presented === '' || presented.length > MAX_API_KEY_LENGTH) return { ok: false };
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
  return found ? { ok: true, name: found.name, claims: { ...found.claims } } : { ok: false };
}
