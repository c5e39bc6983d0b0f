// pick-backend: the matched rule's backend by relative weight, drawn with the pieces' random,
// its service and its own header operations; 500 no_backend when none can be had.
import { beforeAll, describe, expect, it } from 'vitest';
import type { SnapshotRuntime } from '../../runtime/snapshot-runtime.ts';
import { doc, fixture, meshDoc, runAll, runtimeOf } from '../../../test/support/pipeline-fixture.ts';
import { matchEdgeRouteStage } from './match-route.ts';
import { normalizePathStage } from './normalize-path.ts';
import { pickBackendStage } from './pick-backend.ts';

let runtime: SnapshotRuntime;
beforeAll(async () => {
  runtime = await runtimeOf(
    [
      meshDoc(),
      doc('Service', 'api', 'port: 8080\nsubsets:\n  - { name: stable, labels: { track: stable } }\n  - { name: canary, labels: { track: canary } }'),
      doc('Service', 'other', 'port: 8080'),
      doc(
        'Route',
        'api',
        `edge:
  hosts: [api.example.com]
rules:
  - name: split
    matches:
      - path: { prefix: /v1 }
    backends:
      - { service: api, subset: stable, weight: 9 }
      - service: api
        subset: canary
        requestHeaders: { set: { x-canary: "yes" } }
        responseHeaders: { remove: [server] }
  - name: off
    matches:
      - path: { prefix: /off }
    backends:
      - { service: api, weight: 0 }
      - { service: other, weight: 3 }
  - name: none
    matches:
      - path: { prefix: /none }
    backends:
      - { service: api, weight: 0 }
      - { service: other, weight: 0 }`,
      ),
    ].join('---\n'),
  );
});

async function pick(path: string, random: number) {
  const f = fixture({ runtime, request: { path } });
  expect(await runAll(f.c, [normalizePathStage, matchEdgeRouteStage])).toBeUndefined();
  f.random.script([random]);
  return { ...f, answer: pickBackendStage(f.c) };
}

describe('pick-backend stage', () => {
  it('picks by relative weight with the pieces’ random: 9 to stable, 1 (the default) to canary', async () => {
    const stable = await pick('/v1/x', 0.8999);
    expect(stable.answer).toBeUndefined();
    expect(stable.c.backend?.service.id).toBe('default/api');
    expect(stable.c.backend?.subset).toBe('stable');
    const canary = await pick('/v1/x', 0.9);
    expect(canary.c.backend?.subset).toBe('canary');
    expect(canary.c.backend?.service).toBe(runtime.services.get('default/api'));
  });

  it('carries the picked backend’s own header operations, none for one that writes none', async () => {
    expect((await pick('/v1/x', 0.95)).c.backend).toMatchObject({ requestHeaders: { set: { 'x-canary': 'yes' } }, responseHeaders: { remove: ['server'] } });
    expect((await pick('/v1/x', 0.5)).c.backend).toMatchObject({ requestHeaders: { set: {}, add: {}, remove: [] }, responseHeaders: { set: {}, add: {}, remove: [] } });
  });

  it('never picks a backend of weight 0', async () => {
    const { c } = await pick('/off', 0);
    expect(c.backend).toMatchObject({ service: runtime.services.get('default/other'), subset: null });
  });

  it('answers no_backend when every backend of the rule weighs 0', async () => {
    const { c, answer } = await pick('/none', 0.5);
    expect(answer).toMatchObject({ status: 500, code: 'no_backend', message: 'default/api#none has no backend with a weight above 0' });
    expect(c.backend).toBeUndefined();
  });

  it('answers no_backend when the backend’s service is not in the snapshot', async () => {
    const f = fixture({ runtime, request: { path: '/v1' } });
    await runAll(f.c, [normalizePathStage, matchEdgeRouteStage]);
    const gone = { service: 'default/gone', subset: null, port: null, weight: 1, requestHeaders: { set: {}, add: {}, remove: [] }, responseHeaders: { set: {}, add: {}, remove: [] } };
    f.c.match = { ...f.c.match!, rule: { ...f.c.match!.rule, backends: [gone] } };
    expect(pickBackendStage(f.c)).toMatchObject({ status: 500, code: 'no_backend', message: 'default/gone, the backend of default/api#split, is not a service of the snapshot' });
  });

  it('does nothing without a matched rule', () => {
    const f = fixture({ runtime });
    expect(pickBackendStage(f.c)).toBeUndefined();
    expect(f.random.calls).toBe(0);
  });
});
