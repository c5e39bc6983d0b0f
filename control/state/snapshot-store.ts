// Snapshots in Durable Object storage: signed JWS by version (chunked: a large policy can
// exceed one value's limit), the `current` pointer moved only by compare-and-swap, and the
// push/rollback history. Mirrors current to KV, where the gateway reads it.
import { ChangeSignal } from './signal.ts';
import type { SnapshotMetadata } from '../../core/snapshot/types.ts';

const CHUNK = 512 * 1024;
const HISTORY_LIMIT = 200;

export interface CurrentPointer {
  version: string;
  at: string;
}

export interface HistoryEntry {
  seq: number;
  version: string;
  action: 'push' | 'rollback';
  previous: string | null;
  at: string;
  metadata: SnapshotMetadata;
}

export type CommitResult = { ok: true; previous: string | null } | { ok: false; current: string | null };

export class SnapshotStore {
  readonly changed = new ChangeSignal();
  private readonly storage: DurableObjectStorage;
  private readonly kv: KVNamespace;

  private readonly blockConcurrency: <T>(fn: () => Promise<T>) => Promise<T>;

  constructor(storage: DurableObjectStorage, kv: KVNamespace, blockConcurrency: <T>(fn: () => Promise<T>) => Promise<T>) {
    this.storage = storage;
    this.kv = kv;
    this.blockConcurrency = blockConcurrency;
  }

  current(): Promise<CurrentPointer | undefined> {
    return this.storage.get<CurrentPointer>('current');
  }

  async has(version: string): Promise<boolean> {
    return (await this.storage.get<number>(`snap:${version}:chunks`)) !== undefined;
  }

  async get(version: string): Promise<{ jws: string; metadata: SnapshotMetadata } | undefined> {
    const chunks = await this.storage.get<number>(`snap:${version}:chunks`);
    if (chunks === undefined) return undefined;
    const keys = Array.from({ length: chunks }, (_, i) => `snap:${version}:${i}`);
    const parts = await this.storage.get<string>(keys);
    const metadata = (await this.storage.get<SnapshotMetadata>(`snap:${version}:meta`)) ?? { createdAt: '' };
    return { jws: keys.map((k) => parts.get(k) ?? '').join(''), metadata };
  }

  /** Writes (or rewrites, e.g. re-signed by a newer key) the signed snapshot of `version`. */
  private async store(version: string, jws: string, metadata: SnapshotMetadata): Promise<void> {
    const entries: Record<string, unknown> = { [`snap:${version}:meta`]: metadata };
    let n = 0;
    for (let i = 0; i < jws.length; i += CHUNK) entries[`snap:${version}:${n++}`] = jws.slice(i, i + CHUNK);
    // At most 128 keys per put; the chunk count goes last, so a version "exists" only once
    // all of its chunks are written.
    const list = Object.entries(entries);
    for (let i = 0; i < list.length; i += 128) await this.storage.put(Object.fromEntries(list.slice(i, i + 128)));
    await this.storage.put(`snap:${version}:chunks`, n);
  }

  /**
   * Moves `current` to `version` if current is still `expected` (null: no current yet). The
   * Durable Object's input gate makes this read-compare-write atomic against other pushes.
   */
  async commit(args: { version: string; jws: string; metadata: SnapshotMetadata; expected: string | null; action: 'push' | 'rollback' }): Promise<CommitResult> {
    const cur = await this.current();
    const currentVersion = cur?.version ?? null;
    if (currentVersion !== args.expected) return { ok: false, current: currentVersion };
    await this.store(args.version, args.jws, args.metadata);
    if (currentVersion === args.version) return { ok: true, previous: currentVersion };
    const at = new Date().toISOString();
    const seq = ((await this.storage.get<number>('historySeq')) ?? 0) + 1;
    const entry: HistoryEntry = { seq, version: args.version, action: args.action, previous: currentVersion, at, metadata: args.metadata };
    await this.storage.put({ current: { version: args.version, at } satisfies CurrentPointer, historySeq: seq, [`hist:${String(seq).padStart(10, '0')}`]: entry });
    if (seq > HISTORY_LIMIT) await this.storage.delete(`hist:${String(seq - HISTORY_LIMIT).padStart(10, '0')}`);
    this.changed.notify();
    await this.mirrorToKv();
    return { ok: true, previous: currentVersion };
  }

  /**
   * Copies the current snapshot to KV, where gateways read it. The Durable Object is the
   * record: a failed KV write (KV allows one write per second per key) does not undo a push;
   * it is retried by the alarm. Writes are serialized and always write what is current then,
   * so two quick pushes cannot leave KV on the older one.
   */
  async mirrorToKv(): Promise<void> {
    await this.blockConcurrency(async () => {
      const cur = await this.current();
      if (!cur) return;
      const snap = await this.get(cur.version);
      if (!snap) return;
      try {
        await this.kv.put(`snapshot/${cur.version}`, snap.jws);
        await this.kv.put('snapshot/current', snap.jws, { metadata: { version: cur.version } });
        await this.storage.delete('kvPending');
      } catch (e) {
        console.error(JSON.stringify({ level: 'warn', msg: 'KV mirror failed; will retry', version: cur.version, error: String(e) }));
        await this.storage.put('kvPending', cur.version);
        const retryAt = Date.now() + 2000;
        const alarm = await this.storage.getAlarm();
        if (alarm === null || alarm > retryAt) await this.storage.setAlarm(retryAt);
      }
    });
  }

  /** Alarm: retry a KV mirror that failed. */
  async retryMirror(): Promise<void> {
    if ((await this.storage.get('kvPending')) !== undefined) await this.mirrorToKv();
  }

  async history(limit = 50): Promise<HistoryEntry[]> {
    const entries = await this.storage.list<HistoryEntry>({ prefix: 'hist:', reverse: true, limit });
    return [...entries.values()];
  }

  /** Resolves with the current version once it differs from `known`, or undefined at timeout. */
  async waitForChange(known: string | null, timeoutMs: number): Promise<string | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const cur = (await this.current())?.version ?? null;
      if (cur !== known && cur !== null) return cur;
      const left = deadline - Date.now();
      if (left <= 0 || !(await this.changed.wait(left))) return undefined;
    }
  }
}
