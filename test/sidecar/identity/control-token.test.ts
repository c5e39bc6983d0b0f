// ControlToken: the join token first and only once, then the controlToken; a 401 on a
// controlToken from disk falls back to the unspent join token; renewal at half life; waiters.
import { describe, expect, it } from 'vitest';
import { ControlError } from '../../../sidecar/control/control-http.ts';
import { ControlToken, IdentityError } from '../../../sidecar/identity/control-token.ts';
import { FakeClock, logSink } from './fakes.ts';

const MIN = 60_000;

function setup(joinToken: string | null = 'wjt_join') {
  const clock = new FakeClock();
  const sink = logSink();
  const token = new ControlToken({ joinToken: joinToken ?? undefined, workload: 'default/reviews in /state', log: sink.log, now: clock.now });
  const used: string[] = [];
  const answer = (credential: string): Promise<string> => {
    used.push(credential);
    return Promise.resolve('ok');
  };
  const own = (name: string, life = 10 * MIN) => ({ token: name, issuedAt: clock.ms, expiresAt: clock.ms + life });
  return { clock, sink, token, used, answer, own };
}

describe('ControlToken', () => {
  it('proves with the join token first, then only with its own controlToken: a join token is used once', async () => {
    const { clock, token, used, answer, own } = setup();
    expect(token.canJoin).toBe(true);
    await token.prove(answer);
    expect(token.canJoin).toBe(false);
    token.set(own('svid-1'));
    await token.prove(answer);
    expect(used).toEqual(['wjt_join', 'svid-1']);

    clock.advance(10 * MIN);
    expect(token.current()).toBeUndefined();
    const e = await token.prove(answer).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(IdentityError);
    expect((e as Error).message).toMatch(/join token was used already.*default\/reviews in \/state.*new join token/);
    expect(used).toHaveLength(2);
  });

  it('says there is no join token when it never had one', async () => {
    const { token, answer } = setup(null);
    await expect(token.prove(answer)).rejects.toThrow(/^no join token, and no valid identity for default\/reviews in \/state/);
  });

  it('keeps the join token when control was not reached (the call failed), and spends it once accepted', async () => {
    const { token, answer, used } = setup();
    await expect(token.prove(() => Promise.reject(new ControlError(0, 'unreachable', 'down')))).rejects.toThrow('down');
    expect(token.canJoin).toBe(true);
    await token.prove(answer);
    expect(used).toEqual(['wjt_join']);
    expect(token.canJoin).toBe(false);
  });

  it('on a 401 for its controlToken joins with the join token if still unspent (identity from disk), else passes the refusal on', async () => {
    const { token, sink, own } = setup();
    token.set(own('svid-from-disk'));
    const used: string[] = [];
    const refuseSvid = (c: string): Promise<string> => {
      used.push(c);
      return c.startsWith('svid') ? Promise.reject(new ControlError(401, 'invalid_token', 'key replaced')) : Promise.resolve('joined');
    };
    expect(await token.prove(refuseSvid)).toBe('joined');
    expect(used).toEqual(['svid-from-disk', 'wjt_join']);
    expect(sink.lines).toContainEqual(expect.objectContaining({ level: 'warn', msg: 'control refused the identity; joining again with the join token' }));

    await expect(token.prove(refuseSvid)).rejects.toThrow('key replaced');
    await expect(token.prove(() => Promise.reject(new ControlError(403, 'forbidden', 'no')))).rejects.toThrow('no');
  });

  it('is current until 1 s before expiry, and due for renewal at half its life', () => {
    const { clock, token, own } = setup();
    expect(token.renewAt()).toBeUndefined();
    const t = own('svid', 10 * MIN);
    token.set(t);
    expect(token.held).toBe(t);
    expect(token.renewAt()).toBe(t.issuedAt + 5 * MIN);
    clock.advance(10 * MIN - 1_000);
    expect(token.current()).toBeUndefined();
    expect(token.renewAt()).toBeUndefined();
  });

  it('wakes waiters when a token arrives; a waiter whose signal aborts gets undefined', async () => {
    const { token, own } = setup();
    const waiting = token.waitFor(new AbortController().signal);
    token.set(own('svid-1'));
    expect(await waiting).toBe('svid-1');

    const other = setup();
    const ac = new AbortController();
    const aborted = other.token.waitFor(ac.signal);
    other.token.wake(); // woken without a token: waits on
    ac.abort();
    expect(await aborted).toBeUndefined();
  });
});
