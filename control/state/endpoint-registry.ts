// Service instances registered by their sidecars. Each registration expires after its TTL
// unless a heartbeat renews it; an alarm drops expired ones and wakes long-polling watchers.
// The membership version changes only when the set of endpoints changes, not on heartbeats.
import { canonicalJson, sha256Hex } from '../../core/snapshot/canonical-json.ts';
import { ChangeSignal } from './signal.ts';

export interface EndpointRecord {
  /** Service id, `namespace/name`. */
  service: string;
  instanceId: string;
  address: string;
  port: number;
  labels: Record<string, string>;
  spiffeId: string;
  expiresAt: number;
}

export interface EndpointsView {
  version: string;
  endpoints: Record<string, { instanceId: string; address: string; port: number; labels: Record<string, string> }[]>;
}

export class EndpointRegistry {
  readonly changed = new ChangeSignal();
  private readonly storage: DurableObjectStorage;

  constructor(storage: DurableObjectStorage) {
    this.storage = storage;
  }

  private key(service: string, instanceId: string): string {
    return `ep:${service}|${instanceId}`;
  }

  /** Registers or renews; returns true when the membership changed. */
  async register(record: EndpointRecord, now: number): Promise<boolean> {
    const before = (await this.view(now)).version;
    await this.storage.put(this.key(record.service, record.instanceId), record);
    await this.scheduleExpiry();
    return this.afterChange(before, now);
  }

  async deregister(service: string, instanceId: string, now: number): Promise<boolean> {
    const before = (await this.view(now)).version;
    await this.storage.delete(this.key(service, instanceId));
    return this.afterChange(before, now);
  }

  async get(service: string, instanceId: string): Promise<EndpointRecord | undefined> {
    return this.storage.get<EndpointRecord>(this.key(service, instanceId));
  }

  /** Live endpoints (expired ones are not listed even before the alarm removes them). */
  async view(now: number): Promise<EndpointsView> {
    const live = [...(await this.storage.list<EndpointRecord>({ prefix: 'ep:' })).values()].filter((e) => e.expiresAt > now);
    const endpoints: EndpointsView['endpoints'] = {};
    for (const e of live.sort((a, b) => (a.service + a.instanceId < b.service + b.instanceId ? -1 : 1)))
      (endpoints[e.service] ??= []).push({ instanceId: e.instanceId, address: e.address, port: e.port, labels: e.labels });
    return { version: await sha256Hex(canonicalJson(endpoints)), endpoints };
  }

  /** Alarm handler: drop expired registrations, wake watchers if that changed anything. */
  async expire(now: number): Promise<void> {
    const all = await this.storage.list<EndpointRecord>({ prefix: 'ep:' });
    const dead = [...all.entries()].filter(([, e]) => e.expiresAt <= now).map(([k]) => k);
    if (dead.length > 0) {
      await this.storage.delete(dead);
      this.changed.notify();
    }
    await this.scheduleExpiry();
  }

  private async scheduleExpiry(): Promise<void> {
    const all = [...(await this.storage.list<EndpointRecord>({ prefix: 'ep:' })).values()];
    if (all.length === 0) return;
    const next = Math.min(...all.map((e) => e.expiresAt));
    const current = await this.storage.getAlarm();
    if (current === null || current > next) await this.storage.setAlarm(next);
  }

  private async afterChange(before: string, now: number): Promise<boolean> {
    const changed = (await this.view(now)).version !== before;
    if (changed) this.changed.notify();
    return changed;
  }

  async waitForChange(known: string | null, timeoutMs: number, now: () => number): Promise<EndpointsView | undefined> {
    const deadline = now() + timeoutMs;
    for (;;) {
      const v = await this.view(now());
      if (v.version !== known) return v;
      const left = deadline - now();
      if (left <= 0 || !(await this.changed.wait(left))) return undefined;
    }
  }
}
