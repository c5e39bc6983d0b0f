// to-app (inbound): the request to the app, once. Delivered, abandoned, or 502 app_unavailable.
import { beforeAll, describe, expect, it } from 'vitest';
import type { TryOutcome } from '../pieces.ts';
import type { SnapshotRuntime } from '../../runtime/snapshot-runtime.ts';
import { doc, fixture, meshDoc, runtimeOf } from '../../../test/support/pipeline-fixture.ts';
import { toAppStage } from './to-app.ts';

let runtime: SnapshotRuntime;
beforeAll(async () => {
  runtime = await runtimeOf([meshDoc(), doc('Service', 'reviews', 'port: 9080')].join('---\n'));
});

function inbound(toApp: TryOutcome<unknown>, headers: Record<string, string> = {}) {
  const f = fixture({ runtime, plane: 'inbound', service: 'default/reviews', request: { host: 'reviews.default', headers }, inbound: { toApp } });
  f.c.upstream = '127.0.0.1:9080';
  return f;
}

describe('to-app stage', () => {
  it('delivers the app’s committed answer, whatever its status', async () => {
    const f = inbound({ kind: 'committed', status: 503, value: 'the app said 503' });
    expect(await toAppStage(f.c)).toBeUndefined();
    expect(f.c.delivered).toBe('the app said 503');
    expect(f.inbound?.appCalls).toBe(1);
    expect(f.c.reason).toBeNull();
  });

  it('passes a WebSocket handshake to the app as an upgrade, with the default limits when no rule matched', async () => {
    const f = inbound({ kind: 'committed', status: 101, value: 'switched' }, { connection: 'upgrade', upgrade: 'websocket' });
    expect(await toAppStage(f.c)).toBeUndefined();
    expect(f.c.delivered).toBe('switched');
    expect(f.inbound?.appUpgrades).toEqual([{ idleTimeoutMs: 3_600_000, maxLifetimeMs: 0 }]);
  });

  it('answers 502 app_unavailable when the app does not answer, and reports it', async () => {
    const f = inbound({ kind: 'failed', error: 'connect-failure', message: 'ECONNREFUSED' });
    expect(await toAppStage(f.c)).toEqual({
      status: 502,
      code: 'app_unavailable',
      message: 'the app at 127.0.0.1:9080 did not answer (connect-failure: ECONNREFUSED)',
      headers: {},
    });
    expect(f.observer.upstreamErrors).toEqual([{ service: 'default/reviews', kind: 'connect-failure', wrongPeer: false }]);
    expect(f.inbound?.appCalls).toBe(1);
  });

  it('answers 502 app_unavailable for a dropped response', async () => {
    const f = inbound({ kind: 'dropped', status: 500 });
    expect(await toAppStage(f.c)).toEqual({ status: 502, code: 'app_unavailable', message: 'the app answered, but its response was dropped', headers: {} });
  });

  it('answers 413 body_too_large when the body went over the limit on its way to the app', async () => {
    const f = inbound({ kind: 'oversize', limit: 2048 });
    expect(await toAppStage(f.c)).toMatchObject({ status: 413, code: 'body_too_large', message: expect.stringContaining('limit of 2048 bytes') });
    expect(f.observer.upstreamErrors).toEqual([]);
  });

  it('an abandoned request is nobody’s to answer: no answer, reason client_closed', async () => {
    const f = inbound({ kind: 'abandoned' });
    expect(await toAppStage(f.c)).toBeUndefined();
    expect(f.c.reason).toBe('client_closed');
    expect(f.c.delivered).toBeUndefined();
    expect(f.observer.upstreamErrors).toEqual([]);
  });
});

describe('to-app stage: the caller’s deadline (x-weft-timeout-ms)', () => {
  it('bounds the wait for the app by what is left of it, and tells the app that', async () => {
    const f = inbound({ kind: 'committed', status: 200, value: 'ok' }, { 'x-weft-timeout-ms': '800' });
    f.clock.now += 50; // the stages before took 50 ms
    expect(await toAppStage(f.c)).toBeUndefined();
    expect(f.inbound?.appTimeouts).toEqual([750]);
    expect(f.headers.get('x-weft-timeout-ms')).toBe('750');
  });

  it('answers 504 upstream_timeout when the app does not answer within it', async () => {
    const f = inbound({ kind: 'failed', error: 'timeout', message: 'upstream did not answer within 800 ms' }, { 'x-weft-timeout-ms': '800' });
    expect(await toAppStage(f.c)).toEqual({
      status: 504,
      code: 'upstream_timeout',
      message: "the app at 127.0.0.1:9080 did not answer within the caller's x-weft-timeout-ms of 800 ms",
      headers: {},
    });
    expect(f.observer.upstreamErrors).toEqual([{ service: 'default/reviews', kind: 'timeout', wrongPeer: false }]);
  });

  it('does not call the app once the caller has given up', async () => {
    const f = inbound({ kind: 'committed', status: 200, value: 'ok' }, { 'x-weft-timeout-ms': '100' });
    f.clock.now += 100;
    expect(await toAppStage(f.c)).toMatchObject({ status: 504, code: 'upstream_timeout', message: "the caller's x-weft-timeout-ms of 100 ms passed before the app was called" });
    expect(f.inbound?.appCalls).toBe(0);
  });

  it('without the header (or with a malformed one) the app call has no deadline of its own', async () => {
    for (const headers of [{}, { 'x-weft-timeout-ms': '1.5s' }, { 'x-weft-timeout-ms': '0' }] as Record<string, string>[]) {
      const f = inbound({ kind: 'committed', status: 200, value: 'ok' }, headers);
      expect(await toAppStage(f.c)).toBeUndefined();
      expect(f.inbound?.appTimeouts).toEqual([0]);
    }
  });
});
