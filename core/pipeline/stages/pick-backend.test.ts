// pick-backend: the matched rule's backend by weight, drawn with the pieces' random, and its
// service; 503 no_backend when none can be had.
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
      - { service: api, subset: stable, weight: 90 }
      - { service: api, subset: canary, weight: 10 }
  - name: off
    matches:
      - path: { prefix: /off }
    backends:
      - { service: api, weight: 0 }
      - { service: other, weight: 100 }`,
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
  it('picks by weight with the pieces’ random: 90% stable, 10% canary', async () => {
    const stable = await pick('/v1/x', 0.8999);
    expect(stable.answer).toBeUndefined();
    expect(stable.c.backend?.service.id).toBe('default/api');
    expect(stable.c.backend?.subset).toBe('stable');
    const canary = await pick('/v1/x', 0.9);
    expect(canary.c.backend?.subset).toBe('canary');
    expect(canary.c.backend?.service).toBe(runtime.services.get('default/api'));
  });

  it('never picks a backend of weight 0', async () => {
    const { c } = await pick('/off', 0);
    expect(c.backend).toEqual({ service: runtime.services.get('default/other'), subset: null });
  });

  it('answers 503 no_backend when the rule has no backend with weight > 0', async () => {
    const f = fixture({ runtime, request: { path: '/v1' } });
    await runAll(f.c, [normalizePathStage, matchEdgeRouteStage]);
    const rule = f.c.match!.rule;
    f.c.match = { ...f.c.match!, rule: { ...rule, backends: rule.backends.map((b) => ({ ...b, weight: 0 })) } };
    expect(pickBackendStage(f.c)).toEqual({ status: 503, code: 'no_backend', message: 'the route has no backend with weight > 0', headers: {} });
    expect(f.c.backend).toBeUndefined();
  });

  it('answers 503 no_backend when the backend’s service is not in the snapshot', async () => {
    const f = fixture({ runtime, request: { path: '/v1' } });
    await runAll(f.c, [normalizePathStage, matchEdgeRouteStage]);
    f.c.match = { ...f.c.match!, rule: { ...f.c.match!.rule, backends: [{ service: 'default/gone', subset: null, port: null, weight: 100 }] } };
    expect(pickBackendStage(f.c)).toMatchObject({ status: 503, code: 'no_backend' });
  });

  it('does nothing without a matched rule', () => {
    const f = fixture({ runtime });
    expect(pickBackendStage(f.c)).toBeUndefined();
    expect(f.random.calls).toBe(0);
  });
});
