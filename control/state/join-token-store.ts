// Join tokens, stored only as SHA-256 hashes: bound to one SPIFFE ID, short-lived, single-use
// by default. A used token is kept (as used) until it expires so a replay is told "already used".

export interface JoinTokenRecord {
  spiffeId: string;
  expiresAt: number;
  usesLeft: number;
  createdAt: number;
}

export type RedeemResult = { ok: true; spiffeId: string } | { ok: false; reason: 'unknown' | 'expired' | 'used' };

export class JoinTokenStore {
  private readonly storage: DurableObjectStorage;

  constructor(storage: DurableObjectStorage) {
    this.storage = storage;
  }

  async create(hash: string, record: JoinTokenRecord): Promise<void> {
    await this.storage.put(`jt:${hash}`, record);
  }

  /** What the token would prove, without using it up (so a bad CSR does not burn the token). */
  async check(hash: string, now: number): Promise<RedeemResult> {
    const record = await this.storage.get<JoinTokenRecord>(`jt:${hash}`);
    if (!record) return { ok: false, reason: 'unknown' };
    if (record.expiresAt <= now) {
      await this.storage.delete(`jt:${hash}`);
      return { ok: false, reason: 'expired' };
    }
    if (record.usesLeft <= 0) return { ok: false, reason: 'used' };
    return { ok: true, spiffeId: record.spiffeId };
  }

  /** Uses the token once; atomic under the Durable Object's input gate. */
  async redeem(hash: string, now: number): Promise<RedeemResult> {
    const result = await this.check(hash, now);
    if (!result.ok) return result;
    const record = (await this.storage.get<JoinTokenRecord>(`jt:${hash}`)) as JoinTokenRecord;
    await this.storage.put(`jt:${hash}`, { ...record, usesLeft: record.usesLeft - 1 });
    return result;
  }
}
