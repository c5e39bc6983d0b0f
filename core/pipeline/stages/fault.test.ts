// fault: delay and/or abort a share of requests, drawn with the pieces' random; a delay
// waits with the pieces' sleep (here: the fake clock moves, nothing waits).
import { beforeAll, describe, expect, it } from 'vitest';
import type { SnapshotRuntime } from '../../runtime/snapshot-runtime.ts';
import { T0, doc, fixture, meshDoc, runAll, runtimeOf } from '../../../test/support/pipeline-fixture.ts';
import { faultStage } from './fault.ts';
import { matchEdgeRouteStage } from './match-route.ts';
import { normalizePathStage } from './normalize-path.ts';

let runtime: SnapshotRuntime;
beforeAll(async () => {
  const rule = (name: string, prefix: string, fault: string) =>
    `  - name: ${name}\n    matches:\n      - path: { prefix: ${prefix} }\n    backends: [{ service: api }]${fault ? `\n    fault:\n${fault}` : ''}`;
  runtime = await runtimeOf(
    [
      meshDoc(),
      doc('Service', 'api', 'port: 8080\nendpoints:\n  - address: 10.0.0.1'),
      doc(
        'Route',
        'api',
        `edge:\n  hosts: [api.example.com]\nrules:\n${[
          rule('abort', '/abort', '      abort: { status: 418, percent: 50 }'),
          rule('delay', '/delay', '      delay: { fixed: 2s, percent: 100 }'),
          rule('both', '/both', '      delay: { fixed: 250ms, percent: 10 }\n      abort: { status: 503, percent: 10 }'),
          rule('none', '/none', ''),
        ].join('\n')}`,
      ),
    ].join('---\n'),
  );
});

async function routed(path: string, random: number[]) {
  const f = fixture({ runtime, request: { path } });
  expect(await runAll(f.c, [normalizePathStage, matchEdgeRouteStage])).toBeUndefined();
  f.random.script(random);
  f.random.calls = 0;
  return f;
}

describe('fault stage', () => {
  it('aborts the share of requests drawn, with the configured status', async () => {
    const { c, sleeps } = await routed('/abort', [0.49]);
    expect(faultStage(c)).toEqual({ status: 418, code: 'fault_injected', message: 'fault injected by route policy', headers: {} });
    expect(sleeps).toEqual([]);
  });

  it('lets the other requests go on', async () => {
    const { c, random } = await routed('/abort', [0.5]);
    expect(faultStage(c)).toBeUndefined();
    expect(random.calls).toBe(1);
  });

  it('delays with the pieces’ sleep, then lets the request go on', async () => {
    const { c, sleeps, clock } = await routed('/delay', [0.99]);
    const answer = faultStage(c);
    expect(answer).toBeInstanceOf(Promise);
    expect(await answer).toBeUndefined();
    expect(sleeps).toEqual([2000]);
    expect(clock.now).toBe(T0 + 2000);
  });

  it('draws the delay and the abort apart: delayed then aborted, or neither', async () => {
    const both = await routed('/both', [0.05, 0.05]);
    expect(await faultStage(both.c)).toMatchObject({ status: 503, code: 'fault_injected' });
    expect(both.sleeps).toEqual([250]);

    const abortOnly = await routed('/both', [0.5, 0.05]);
    expect(faultStage(abortOnly.c)).toMatchObject({ status: 503, code: 'fault_injected' });
    expect(abortOnly.sleeps).toEqual([]);

    const neither = await routed('/both', [0.1, 0.1]);
    expect(faultStage(neither.c)).toBeUndefined();
    expect(neither.random.calls).toBe(2);
  });

  it('does nothing, and draws nothing, on a rule without faults', async () => {
    const { c, random } = await routed('/none', []);
    expect(faultStage(c)).toBeUndefined();
    expect(random.calls).toBe(0);
  });
});
