// Tells control what this sidecar enforces: an ACK when a snapshot is applied, a NACK when one
// is refused, and the same report every statusEveryMs so control does not mark the node stale.
// Reports never overlap; a change during a send is sent right after; a failed send is retried
// with backoff until it goes through (so an ACK made during an outage arrives after it).
import { Backoff, sleep } from './backoff.ts';
import type { ControlLink } from './control-http.ts';
import type { IdentityManager } from './identity-manager.ts';
import type { Logger } from './options.ts';

export interface StatusReport {
  appliedVersion: string | null;
  rejected: { version: string; reason: string } | null;
  lastKnownGood: boolean;
}

export interface StatusReporterOptions {
  link: ControlLink;
  identity: IdentityManager;
  log: Logger;
  nodeId: string;
  state: () => StatusReport;
  everyMs: number;
  backoff: { baseMs: number; maxMs: number };
}

export class StatusReporter {
  readonly #o: StatusReporterOptions;
  #dirty = false;
  #draining: Promise<void> | undefined;

  constructor(options: StatusReporterOptions) {
    this.#o = options;
  }

  /** Sends the current state soon (coalesced with any send in progress). */
  reportNow(): void {
    this.#dirty = true;
    if (this.#draining) return;
    this.#draining = this.#drain().finally(() => {
      this.#draining = undefined;
    });
  }

  async run(): Promise<void> {
    const signal = this.#o.link.signal;
    this.reportNow();
    while (!signal.aborted) {
      await sleep(this.#o.everyMs, signal);
      if (!signal.aborted) this.reportNow();
    }
  }

  /** One last report while closing (bounded). */
  async final(timeoutMs: number): Promise<void> {
    const token = this.#o.identity.controlToken();
    if (!token) return;
    await this.#send(token, timeoutMs, true).catch(() => undefined);
  }

  async #drain(): Promise<void> {
    const signal = this.#o.link.signal;
    const backoff = new Backoff({ baseMs: this.#o.backoff.baseMs, maxMs: Math.min(this.#o.backoff.maxMs, this.#o.everyMs) });
    while (this.#dirty && !signal.aborted) {
      const token = await this.#o.identity.waitForToken(signal);
      if (!token) return;
      this.#dirty = false;
      try {
        await this.#send(token, undefined, false);
        backoff.reset();
      } catch (e) {
        if (signal.aborted) return;
        this.#dirty = true;
        const wait = backoff.next();
        this.#o.log({ level: 'warn', msg: 'status report failed; retrying', error: (e as Error).message, retryInMs: Math.round(wait) });
        await sleep(wait, signal);
      }
    }
  }

  async #send(token: string, timeoutMs: number | undefined, duringClose: boolean): Promise<void> {
    const body = { nodeId: this.#o.nodeId, kind: 'sidecar', ...this.#o.state(), time: new Date().toISOString() };
    await this.#o.link.call('POST', '/v1/status', { token, body, timeoutMs, duringClose });
  }
}
