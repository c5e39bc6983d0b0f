// The gateway's edge-token keys, certified by control and published in the trust bundle.
// A gateway re-certifies its key whenever an isolate starts; a key not seen for a day drops
// out of the bundle (edge tokens live a minute, so nothing it signed is still valid).
import type { JWK } from 'jose';

const KEEP_MS = 24 * 3600 * 1000;

interface EdgeKeyRecord {
  jwk: JWK;
  lastSeen: number;
}

export class EdgeKeyStore {
  private readonly storage: DurableObjectStorage;

  constructor(storage: DurableObjectStorage) {
    this.storage = storage;
  }

  async certify(jwk: JWK, now: number): Promise<void> {
    await this.storage.put(`edgekey:${jwk.kid}`, { jwk, lastSeen: now } satisfies EdgeKeyRecord);
  }

  async current(now: number): Promise<JWK[]> {
    const all = await this.storage.list<EdgeKeyRecord>({ prefix: 'edgekey:' });
    const stale = [...all.entries()].filter(([, r]) => now - r.lastSeen > KEEP_MS).map(([k]) => k);
    if (stale.length > 0) await this.storage.delete(stale);
    return [...all.values()].filter((r) => now - r.lastSeen <= KEEP_MS).map((r) => r.jwk);
  }
}
