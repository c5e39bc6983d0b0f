// Registers this instance's inbound address as an endpoint of its service and renews it every
// third of the TTL (a heartbeat is the same call), so it disappears from the endpoints document
// soon after the sidecar dies. After an outage the next successful call registers it again.
// close() deregisters it.
import { Backoff, sleep } from './backoff.ts';
import { ControlError } from './control-http.ts';
import type { ControlLink } from './control-http.ts';
import type { IdentityManager } from './identity-manager.ts';
import type { Logger } from './options.ts';

export interface RegistrationOptions {
  link: ControlLink;
  identity: IdentityManager;
  log: Logger;
  instanceId: string;
  labels: Record<string, string>;
  address: string;
  port: number;
  ttlSeconds: number;
  backoff: { baseMs: number; maxMs: number };
}

export class Registration {
  readonly #o: RegistrationOptions;
  #registered = false;

  constructor(options: RegistrationOptions) {
    this.#o = options;
  }

  async run(): Promise<void> {
    const { link, identity, log } = this.#o;
    const signal = link.signal;
    const everyMs = (this.#o.ttlSeconds * 1000) / 3;
    const backoff = new Backoff({ baseMs: this.#o.backoff.baseMs, maxMs: Math.min(this.#o.backoff.maxMs, everyMs) });
    let attempts = 0;
    while (!signal.aborted) {
      const token = await identity.waitForToken(signal);
      if (!token) return;
      try {
        attempts++;
        await link.call('POST', '/v1/endpoints', {
          token,
          body: { instanceId: this.#o.instanceId, address: this.#o.address, port: this.#o.port, labels: this.#o.labels, ttlSeconds: this.#o.ttlSeconds },
        });
        if (!this.#registered)
          log({ level: 'info', msg: attempts === 1 ? 'endpoint registered' : 'endpoint registered again', instanceId: this.#o.instanceId, address: this.#o.address, port: this.#o.port });
        this.#registered = true;
        backoff.reset();
        await sleep(everyMs, signal);
      } catch (e) {
        if (signal.aborted) return;
        if (this.#registered) log({ level: 'warn', msg: 'endpoint heartbeat failed; the registration lapses unless a retry succeeds', error: (e as Error).message });
        else log({ level: e instanceof ControlError && e.transient ? 'warn' : 'error', msg: 'endpoint registration failed; retrying', error: (e as Error).message });
        this.#registered = false;
        await sleep(backoff.next(), signal);
      }
    }
  }

  /** Best effort, bounded: removes the registration (after the loops stopped). */
  async deregister(timeoutMs: number): Promise<void> {
    const token = this.#o.identity.controlToken();
    if (!token) return;
    try {
      await this.#o.link.call('DELETE', `/v1/endpoints/${encodeURIComponent(this.#o.instanceId)}`, { token, timeoutMs, duringClose: true });
      this.#o.log({ level: 'info', msg: 'endpoint deregistered', instanceId: this.#o.instanceId });
    } catch (e) {
      if (e instanceof ControlError && e.code === 'unknown_instance') return;
      this.#o.log({ level: 'warn', msg: 'endpoint deregistration failed; it expires with its TTL', error: (e as Error).message });
    }
  }
}
