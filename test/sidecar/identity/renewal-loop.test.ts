// runRenewals with a hand-moved clock and a sleep that only moves it: waits until due, renews,
// backs off after failures and resets after a success, and ends when the signal aborts.
import { describe, expect, it } from 'vitest';
import { runRenewals } from '../../../sidecar/identity/renewal-loop.ts';
import { FakeClock } from './fakes.ts';

describe('runRenewals', () => {
  it('sleeps until the renewal is due, renews, and retries failures with backoff until aborted', async () => {
    const clock = new FakeClock(0);
    const ac = new AbortController();
    const events: string[] = [];
    let due: number | undefined; // nothing valid yet: renew now
    const outcomes = ['fail', 'fail', 'ok', 'fail', 'ok'];
    let waits = 0;
    await runRenewals({
      signal: ac.signal,
      now: clock.now,
      sleep: (ms) => {
        events.push(`sleep ${ms}`);
        clock.ms += ms;
        return Promise.resolve();
      },
      backoff: { next: () => 100 * ++waits, reset: () => ((waits = 0), events.push('reset')) },
      dueAt: () => due,
      renew: () => {
        events.push(`renew at ${clock.ms}`);
        const outcome = outcomes.shift();
        if (outcome === undefined) ac.abort();
        if (outcome !== 'ok') return Promise.reject(new Error(outcome ?? 'closing'));
        due = clock.ms + 1_000;
        return Promise.resolve();
      },
      failed: (e, wait) => events.push(`failed ${(e as Error).message}, retry in ${wait}`),
    });
    expect(events).toEqual([
      'renew at 0',
      'failed fail, retry in 100',
      'sleep 100',
      'renew at 100',
      'failed fail, retry in 200',
      'sleep 200',
      'renew at 300',
      'reset',
      'sleep 1000',
      'renew at 1300',
      'failed fail, retry in 100',
      'sleep 100',
      'renew at 1400',
      'reset',
      'sleep 1000',
      'renew at 2400', // aborts: its failure is not reported
    ]);
  });

  it('does nothing once the signal has aborted', async () => {
    const ac = new AbortController();
    ac.abort();
    let renewed = false;
    await runRenewals({ signal: ac.signal, backoff: { next: () => 1, reset: () => undefined }, dueAt: () => undefined, renew: async () => void (renewed = true), failed: () => undefined });
    expect(renewed).toBe(false);
  });
});
